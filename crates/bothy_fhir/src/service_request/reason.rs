//! Reading the reason for the referral and the screening answers.

use super::*;

impl<'a> Reader<'a> {
    /// The reason: `reasonCode` (coded, in words, or both), the codes of
    /// contained Conditions named by `reasonReference`, and `note` texts.
    /// Everything is kept as sent; codes map to problem descriptors where
    /// a mapping exists; the words triage reads are the texts, else each
    /// coded reason's display.
    pub(super) fn reason(
        &mut self,
        obj: &'a Map<String, Value>,
        d: &mut Details,
        sent: &mut AsSent,
    ) {
        let before = self.issues.len();
        let mut texts: Vec<(String, String)> = Vec::new();
        let mut problems: Vec<Problem> = Vec::new();
        for (k, rc) in self.array(obj, "reasonCode", SR).iter().enumerate() {
            let at = format!("{SR}.reasonCode[{k}]");
            if let Some(c) = self.concept(&at, rc, &mut problems, &mut texts) {
                sent.reasons.push(c);
            }
        }
        for (k, rr) in self.array(obj, "reasonReference", SR).iter().enumerate() {
            let at = format!("{SR}.reasonReference[{k}]");
            let Some(rr) = self.object(rr, &at, "Each reasonReference") else {
                continue;
            };
            let Some(reference) = str_of(rr, "reference").filter(|r| r.starts_with('#')) else {
                self.push(
                    format!("{at}.reference"),
                    "reasonReference is read only from contained Conditions (\"#id\"), which \
                     cannot be fetched otherwise: contain the Condition, or give the reason as \
                     reasonCode",
                );
                continue;
            };
            let Some((c_at, _, cond)) =
                self.resolve(reference, &format!("{at}.reference"), &["Condition"])
            else {
                continue;
            };
            match cond.get("code") {
                Some(code) => {
                    if let Some(c) =
                        self.concept(&format!("{c_at}.code"), code, &mut problems, &mut texts)
                    {
                        sent.conditions.push(c);
                    }
                }
                None => self.push(
                    format!("{c_at}.code"),
                    "The Condition has no code: say what the condition is (code.coding or \
                     code.text)",
                ),
            }
        }
        for (k, n) in self.array(obj, "note", SR).iter().enumerate() {
            let at = format!("{SR}.note[{k}].text");
            match n.get("text").and_then(Value::as_str) {
                Some(t) if !t.trim().is_empty() => {
                    texts.push((at, t.to_string()));
                    sent.notes.push(t.to_string());
                }
                _ => self.push(at, "Each note needs its text"),
            }
        }
        let mut kept = Vec::new();
        let mut total = 0;
        for (at, t) in &texts {
            let t = t.trim();
            if let Some(e) = unusable(t) {
                self.push(
                    at.clone(),
                    e.message("The reason", bothy_domain::text::Lines::Many),
                );
                continue;
            }
            total += t.chars().count() + if kept.is_empty() { 0 } else { 2 };
            if total > MAX_REASON_CHARS {
                self.push(
                    at.clone(),
                    format!(
                        "The reason for referral, all texts together, must be {MAX_REASON_CHARS} \
                         characters or fewer"
                    ),
                );
                break;
            }
            kept.push(t.to_string());
        }
        if kept.is_empty() && problems.is_empty() && self.issues.len() == before {
            self.push(
                format!("{SR}.reasonCode"),
                "The reason for referral is missing: say what the person would like help with, \
                 in reasonCode (in words, or coded), reasonReference or a note",
            );
        }
        d.problem_text = (!kept.is_empty()).then(|| kept.join("\n\n"));
        d.problems = problems;
    }

    /// A CodeableConcept at `at`, kept as sent. Codes of SNOMED CT, ICD-10
    /// (either edition) and Bothy's picklist are checked and mapped; a code
    /// of another system is kept only beside text or a code read here, so
    /// that triage can always read the reason.
    fn concept(
        &mut self,
        at: &str,
        v: &'a Value,
        problems: &mut Vec<Problem>,
        texts: &mut Vec<(String, String)>,
    ) -> Option<Concept> {
        let c = self.object(v, at, "A reason")?;
        let before = self.issues.len();
        let picklist_system = problem_system(self.base);
        let mut out = Concept::default();
        match c.get("text") {
            None => {}
            Some(Value::String(t)) if !t.trim().is_empty() => out.text = Some(t.clone()),
            Some(_) => self.push(format!("{at}.text"), "text must be a string, not blank"),
        }
        let mut read_here = out.text.is_some();
        let mut others = Vec::new();
        let mut displays = Vec::new();
        for (j, cv) in self.array(c, "coding", at).iter().enumerate() {
            let c_at = format!("{at}.coding[{j}]");
            let Some(cd) = self.object(cv, &c_at, "Each coding") else {
                continue;
            };
            let Some(system) = str_of(cd, "system") else {
                self.push(
                    format!("{c_at}.system"),
                    "system is missing: a code means nothing without its code system",
                );
                continue;
            };
            let code = match str_of(cd, "code") {
                Some(code)
                    if !code.is_empty()
                        && code.len() <= 100
                        && !code.contains(char::is_whitespace) =>
                {
                    code
                }
                _ => {
                    self.push(
                        format!("{c_at}.code"),
                        "code is missing, or not a code (at most 100 characters, no spaces)",
                    );
                    continue;
                }
            };
            let display = match cd.get("display") {
                None => None,
                Some(Value::String(t)) if t.chars().count() <= 500 && unusable(t).is_none() => {
                    Some(t.clone())
                }
                Some(_) => {
                    self.push(
                        format!("{c_at}.display"),
                        "display must be text of at most 500 characters",
                    );
                    continue;
                }
            };
            if system.len() > 200 || system.contains(char::is_whitespace) {
                self.push(format!("{c_at}.system"), "system must be a URI");
                continue;
            }
            let coding = Coding {
                system: system.to_string(),
                code: code.to_string(),
                display: display.clone(),
            };
            let mapped: &[Problem] = if system == picklist_system {
                match Problem::parse(code) {
                    Some(p) => {
                        problems.push(p);
                        &[]
                    }
                    None => {
                        let list = Problem::ALL.map(Problem::as_str).join(", ");
                        self.push(
                            format!("{c_at}.code"),
                            format!("{code:?} is not a code of {system}; its codes are {list}"),
                        );
                        continue;
                    }
                }
            } else if system == SNOMED {
                if !is_snomed_concept_id(code) {
                    self.push(
                        format!("{c_at}.code"),
                        format!(
                            "{code} is not a SNOMED CT concept id (6 to 18 digits ending in a \
                             concept partition and a Verhoeff check digit): check the code"
                        ),
                    );
                    continue;
                }
                problems_for(&coding)
            } else if system == ICD10 || system == ICD10_UK {
                if !is_icd10_code(code) {
                    self.push(
                        format!("{c_at}.code"),
                        format!(
                            "{code} is not an ICD-10 code (such as F41.2 or F412): check the code"
                        ),
                    );
                    continue;
                }
                problems_for(&coding)
            } else {
                others.push((c_at.clone(), system.to_string(), self.issues.len()));
                out.coding.push(coding);
                continue;
            };
            read_here = true;
            problems.extend(mapped.iter().copied());
            // The words triage reads for a code: its display, else the
            // name this server knows it by, else the code itself.
            if system != picklist_system {
                let known = SNOMED_PROBLEMS
                    .iter()
                    .find(|(c, _, _)| system == SNOMED && *c == code)
                    .map(|(_, name, _)| name.to_string());
                let words = display
                    .clone()
                    .or(known)
                    .unwrap_or_else(|| format!("Coded reason {code} ({system})"));
                displays.push((format!("{c_at}.display"), words));
            }
            out.coding.push(coding);
        }
        let mut seen = Vec::new();
        problems.retain(|p| {
            let first = !seen.contains(p);
            seen.push(*p);
            first
        });
        if !read_here {
            let systems = REASON_SYSTEMS.join(", ");
            // Each named where it is, among the concept's other issues.
            for (n, (o, system, at)) in others.into_iter().enumerate() {
                let issue = Issue {
                    expression: format!("{o}.system"),
                    message: format!(
                        "The code system {system} is not known here: give a code of {systems} \
                         or {picklist_system} beside it, or the reason in words (text)"
                    ),
                };
                self.issues.insert(at + n, issue);
            }
        }
        if self.issues.len() != before {
            return None;
        }
        match &out.text {
            Some(t) => texts.push((format!("{at}.text"), t.clone())),
            None => texts.extend(displays.into_iter().take(1)),
        }
        (out.text.is_some() || !out.coding.is_empty()).then_some(out)
    }

    pub(super) fn supporting_info(
        &mut self,
        obj: &'a Map<String, Value>,
        catalogue: &Catalogue,
        asked: &[&str],
        subject: Option<&str>,
        d: &mut Details,
    ) {
        for (k, s) in self.array(obj, "supportingInfo", SR).iter().enumerate() {
            let at = format!("{SR}.supportingInfo[{k}]");
            let Some(s) = self.object(s, &at, "Each supportingInfo") else {
                continue;
            };
            let Some(reference) = str_of(s, "reference").filter(|r| r.starts_with('#')) else {
                self.push(
                    format!("{at}.reference"),
                    "Supporting information is read only from contained QuestionnaireResponses \
                     (\"#id\"): answers to the service's screening questionnaires",
                );
                continue;
            };
            let Some((qr_at, qr, qr_obj)) = self.resolve(
                reference,
                &format!("{at}.reference"),
                &["QuestionnaireResponse"],
            ) else {
                continue;
            };
            if let (Some(want), Some(got)) = (
                subject,
                qr_obj
                    .get("subject")
                    .and_then(|s| s.get("reference"))
                    .and_then(Value::as_str),
            ) && relative(got, self.base) != want
            {
                self.push(
                    format!("{qr_at}.subject.reference"),
                    format!(
                        "The answers must be about the person referred: subject must be {want}"
                    ),
                );
            }
            match parse_contained_answers(qr, self.base, catalogue) {
                Ok((inst, answers)) => {
                    if !asked.contains(&inst.id.as_str()) {
                        let names: Vec<&str> = asked
                            .iter()
                            .filter_map(|id| catalogue.get(id))
                            .map(|i| i.short_name.as_str())
                            .collect();
                        self.push(
                            format!("{qr_at}.questionnaire"),
                            format!(
                                "This service takes {} answers with a referral, not {}; send \
                                 {} as a QuestionnaireResponse once the person is a patient",
                                names.join(" and "),
                                inst.short_name,
                                inst.short_name
                            ),
                        );
                        continue;
                    }
                    if d.screening.contains_key(&inst.id) {
                        self.push(
                            format!("{qr_at}.questionnaire"),
                            format!(
                                "{} answers are given twice: send them once",
                                inst.short_name
                            ),
                        );
                        continue;
                    }
                    d.screening.insert(inst.id.clone(), answers);
                }
                Err(issues) => {
                    for i in issues {
                        let expression = match i.expression.strip_prefix("QuestionnaireResponse") {
                            Some(rest) => format!("{qr_at}{rest}"),
                            None => i.expression,
                        };
                        self.push(expression, i.message);
                    }
                }
            }
        }
    }
}
