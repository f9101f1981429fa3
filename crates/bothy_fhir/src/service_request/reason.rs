//! Reading the reason for the referral and the screening answers.

use super::*;

impl<'a> Reader<'a> {
    pub(super) fn reason(&mut self, obj: &'a Map<String, Value>, d: &mut Details) {
        let before = self.issues.len();
        let system = problem_system(self.base);
        let picklist = Problem::ALL.map(Problem::as_str).join(", ");
        let snomed_list = SNOMED_REASONS
            .iter()
            .map(|(code, display, _)| format!("{code} ({display})"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut texts: Vec<(String, String)> = Vec::new();
        let mut problems: Vec<Problem> = Vec::new();
        for (k, rc) in self.array(obj, "reasonCode", SR).iter().enumerate() {
            let at = format!("{SR}.reasonCode[{k}]");
            let Some(rc) = self.object(rc, &at, "Each reasonCode") else {
                continue;
            };
            let text = str_of(rc, "text").filter(|t| !t.trim().is_empty());
            if let Some(t) = text {
                texts.push((format!("{at}.text"), t.to_string()));
            }
            for (j, c) in self.array(rc, "coding", &at).iter().enumerate() {
                let c_at = format!("{at}.coding[{j}]");
                let Some(c) = self.object(c, &c_at, "Each coding") else {
                    continue;
                };
                let (sys, code) = (str_of(c, "system"), str_of(c, "code"));
                let Some(code) = code else {
                    self.push(format!("{c_at}.code"), "code is missing");
                    continue;
                };
                let found = match sys {
                    Some(s) if s == system => {
                        match Problem::parse(code) {
                            Some(p) => Some(p),
                            None => {
                                self.push(
                                format!("{c_at}.code"),
                                format!("{code:?} is not a code of {system}; its codes are {picklist}"),
                            );
                                None
                            }
                        }
                    }
                    Some(SNOMED) => match SNOMED_REASONS.iter().find(|(c, _, _)| *c == code) {
                        Some((_, display, p)) => {
                            if text.is_none() {
                                let said = str_of(c, "display").unwrap_or(display);
                                texts.push((format!("{c_at}.display"), said.to_string()));
                            }
                            Some(*p)
                        }
                        None => {
                            self.push(
                                format!("{c_at}.code"),
                                format!(
                                    "SNOMED CT {code} is not a reason this service codes: give the \
                                     reason in words (reasonCode.text or a note) instead, or use \
                                     one of {snomed_list}"
                                ),
                            );
                            None
                        }
                    },
                    Some(s) => {
                        self.push(
                            format!("{c_at}.system"),
                            format!(
                                "The code system {s} is not known here: code the reason with SNOMED \
                                 CT ({SNOMED}) or {system} (codes {picklist}), or give it in words"
                            ),
                        );
                        None
                    }
                    None => {
                        self.push(
                            format!("{c_at}.system"),
                            format!("system is missing: the code {code:?} means nothing without its code system"),
                        );
                        None
                    }
                };
                if let Some(p) = found
                    && !problems.contains(&p)
                {
                    problems.push(p);
                }
            }
        }
        if obj.contains_key("reasonReference") {
            self.push(
                format!("{SR}.reasonReference"),
                "reasonReference is not read here: give the reason as reasonCode (in words or \
                 coded) or a note",
            );
        }
        for (k, n) in self.array(obj, "note", SR).iter().enumerate() {
            if let Some(t) = n
                .get("text")
                .and_then(Value::as_str)
                .filter(|t| !t.trim().is_empty())
            {
                texts.push((format!("{SR}.note[{k}].text"), t.to_string()));
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
                 in reasonCode (in words, or coded) or a note",
            );
        }
        d.problem_text = (!kept.is_empty()).then(|| kept.join("\n\n"));
        d.problems = problems;
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
