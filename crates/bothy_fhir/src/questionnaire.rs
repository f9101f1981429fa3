//! An instrument as a FHIR R4 `Questionnaire`.
//!
//! - Canonical URL `{base}/Questionnaire/{id}`, version the instrument's.
//! - Instruments LOINC publishes as a panel (PHQ-9 44249-1, GAD-7 69737-5 ...)
//!   carry the panel code, and their items use the item LOINC codes as linkIds
//!   ("44250-9") and LOINC's answer codes, item by item: GAD-7 item 2 codes its
//!   third answer LA18938-3 where the other items use LA6570-1, so codes are
//!   only ever looked up within one item's own options.
//! - Other items are linked by their number ("1", "2" ...) and coded in
//!   Bothy's measures code system (`wsas-1`), the questionnaire itself too
//!   (`wsas`) when LOINC has no panel for it; their answers are coded in
//!   Bothy's `https://bothy.health/fhir/CodeSystem/{id}-answers`, where the
//!   code is the option's score (see [`crate::codes`]).
//! - Every option carries its score in the `ordinalValue` extension, the value
//!   the instrument's scoring rule adds up (before any reverse scoring, which
//!   the rule applies).
//! - The preamble and section introductions are `display` items; the note on
//!   when an optional item may be left out is a help item inside it.

use crate::ORDINAL_VALUE;
use crate::codes::{answer_system, instrument_coding, item_coding};
use bothy_domain::instruments::Instrument;
use bothy_domain::instruments::model::{AnswerOption, Item};
use serde_json::{Value, json};

/// The item-control extension and code system (SDC, used by R4 core).
const ITEM_CONTROL: &str = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl";
const ITEM_CONTROL_SYSTEM: &str = "http://hl7.org/fhir/questionnaire-item-control";

/// `{base}/Questionnaire/{id}`: the instrument's canonical URL.
pub fn canonical_url(base: &str, inst: &Instrument) -> String {
    format!("{base}/Questionnaire/{}", inst.id)
}

/// Where earlier releases coded answers without a LOINC code: the
/// deployment's own address. Still accepted in what clients send.
pub fn legacy_answer_system(base: &str, inst: &Instrument) -> String {
    format!("{base}/CodeSystem/{}-answers", inst.id)
}

/// The linkId of an item: its LOINC code where it has one, else its number.
pub fn link_id(item: &Item) -> String {
    match &item.loinc {
        Some(code) => code.clone(),
        None => item.n.to_string(),
    }
}

/// The linkId of the display item holding the preamble.
pub const PREAMBLE_LINK_ID: &str = "preamble";

/// The linkId of the display item introducing a section that starts at `item`.
pub fn intro_link_id(item: &Item) -> String {
    format!("{}-intro", link_id(item))
}

/// The linkId of the help item inside an optional `item`.
pub fn help_link_id(item: &Item) -> String {
    format!("{}-help", link_id(item))
}

/// The coding of one answer option: (system, code).
pub fn option_coding(inst: &Instrument, opt: &AnswerOption) -> (String, String) {
    match &opt.loinc {
        Some(code) => (crate::LOINC.to_string(), code.clone()),
        None => (answer_system(inst), opt.score.to_string()),
    }
}

/// A FHIR `name`: starts with a capital letter, then letters, digits and `_`.
fn computable_name(inst: &Instrument) -> String {
    let mut name: String = inst
        .short_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    match name.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => {
            let upper = c.to_ascii_uppercase().to_string();
            name.replace_range(0..1, &upper);
            name
        }
        _ => format!("Q{name}"),
    }
}

fn display_item(link_id: String, text: &str) -> Value {
    json!({ "linkId": link_id, "type": "display", "text": text })
}

fn choice_item(inst: &Instrument, item: &Item) -> Value {
    let options: Vec<Value> = inst
        .options_for(item)
        .iter()
        .map(|opt| {
            let (system, code) = option_coding(inst, opt);
            json!({
                "valueCoding": { "system": system, "code": code, "display": opt.label },
                "extension": [{ "url": ORDINAL_VALUE, "valueDecimal": opt.score }],
            })
        })
        .collect();
    let mut v = json!({
        "linkId": link_id(item),
        "prefix": format!("{}.", item.n),
        "text": item.text,
        "type": "choice",
        "required": !item.optional,
        "answerOption": options,
    });
    let (system, code) = item_coding(inst, item);
    v["code"] = json!([{ "system": system, "code": code }]);
    if let Some(when) = &item.optional_when {
        v["item"] = json!([{
            "linkId": help_link_id(item),
            "type": "display",
            "text": when,
            "extension": [{
                "url": ITEM_CONTROL,
                "valueCodeableConcept": {
                    "coding": [{ "system": ITEM_CONTROL_SYSTEM, "code": "help", "display": "Help-Button" }],
                    "text": "Help",
                },
            }],
        }]);
    }
    v
}

/// The Questionnaire for `inst`; `base` is the FHIR base URL (`.../fhir`).
pub fn questionnaire(base: &str, inst: &Instrument) -> Value {
    let mut items = Vec::new();
    if let Some(preamble) = &inst.preamble {
        items.push(display_item(PREAMBLE_LINK_ID.to_string(), preamble));
    }
    for item in &inst.items {
        if let Some(intro) = &item.intro {
            items.push(display_item(intro_link_id(item), intro));
        }
        items.push(choice_item(inst, item));
    }
    let mut description = format!("{}.", inst.name);
    if let Some(period) = &inst.recall_period {
        description.push_str(&format!(" Recall period: {period}."));
    }
    if !inst.licence.official_wording {
        description
            .push_str(" The item wording is a paraphrase, not the instrument's official wording.");
    }
    let mut v = json!({
        "resourceType": "Questionnaire",
        "id": inst.id,
        "url": canonical_url(base, inst),
        "version": inst.version,
        "name": computable_name(inst),
        "title": format!("{} ({})", inst.name, inst.short_name),
        "status": "active",
        "subjectType": ["Patient"],
        "description": description,
        "copyright": inst.licence.status,
        "item": items,
    });
    let (system, code) = instrument_coding(inst);
    v["code"] = json!([{ "system": system, "code": code, "display": inst.name }]);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_computable() {
        let mut inst = crate::tests::catalogue().get("phq9").unwrap().clone();
        inst.short_name = "Mini-SPIN".into();
        assert_eq!(computable_name(&inst), "MiniSPIN");
        inst.short_name = "0-10 mood".into();
        assert_eq!(computable_name(&inst), "Q010mood");
        inst.short_name = "mood".into();
        assert_eq!(computable_name(&inst), "Mood");
    }
}
