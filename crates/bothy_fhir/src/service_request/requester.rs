//! Reading the requester: who referred, and where to tell them.

use super::*;

impl<'a> Reader<'a> {
    pub(super) fn requester(
        &mut self,
        obj: &'a Map<String, Value>,
        d: &mut Details,
        sent: &mut AsSent,
    ) {
        let path = format!("{SR}.requester");
        let before = self.issues.len();
        let r = match obj.get("requester") {
            None => {
                self.push(
                    path,
                    "requester is missing: say who is making the referral, as a contained \
                     Practitioner, PractitionerRole or Organization with a name (and an email, \
                     to be told of the decision)",
                );
                return;
            }
            Some(v) => match self.object(v, &path, "requester") {
                Some(r) => r,
                None => return,
            },
        };
        match str_of(r, "reference") {
            Some(reference) if reference.starts_with('#') => {
                let types = ["Practitioner", "PractitionerRole", "Organization"];
                if let Some((at, _, res)) =
                    self.resolve(reference, &format!("{path}.reference"), &types)
                {
                    match str_of(res, "resourceType") {
                        Some("Practitioner") => self.practitioner(&at, res, d, sent),
                        Some("PractitionerRole") => self.practitioner_role(&at, res, d, sent),
                        _ => self.organization(&at, res, d, sent),
                    }
                }
            }
            Some(reference) => match str_of(r, "display") {
                Some(display) => {
                    d.referrer_name = self.text(
                        &format!("{path}.display"),
                        display,
                        200,
                        "The referrer's name",
                    )
                }
                None => self.push(
                    format!("{path}.reference"),
                    format!(
                        "{reference} cannot be fetched from here: give the referrer as a contained \
                         resource (\"#id\") with their name and email, or at least a display"
                    ),
                ),
            },
            None => {
                // A logical reference: an ODS code names an organisation,
                // anything else a practitioner.
                let mut org = false;
                if let Some(id) = r.get("identifier") {
                    let ids =
                        self.identifiers(&format!("{path}.identifier"), std::slice::from_ref(id));
                    org = ids.iter().any(|i| i.system.as_deref() == Some(ODS))
                        || str_of(r, "type") == Some("Organization");
                    if org {
                        sent.organisation = ids;
                    } else {
                        sent.practitioner = ids;
                    }
                }
                if let Some(display) = str_of(r, "display") {
                    let at = format!("{path}.display");
                    if org {
                        d.referrer_organisation =
                            self.text(&at, display, 200, "The organisation's name");
                    } else {
                        d.referrer_name = self.text(&at, display, 200, "The referrer's name");
                    }
                }
            }
        }
        if d.referrer_name.is_none()
            && d.referrer_organisation.is_none()
            && self.issues.len() == before
        {
            self.push(
                path,
                "The referrer has no name: give the practitioner's or the organisation's name",
            );
        }
    }

    /// The first usable email of a resource's telecom.
    pub(super) fn contact_email(
        &mut self,
        at: &str,
        obj: &'a Map<String, Value>,
    ) -> Option<String> {
        for (k, t) in self.array(obj, "telecom", at).iter().enumerate() {
            if t.get("system").and_then(Value::as_str) != Some("email") {
                continue;
            }
            let value_at = format!("{at}.telecom[{k}].value");
            match t.get("value").and_then(Value::as_str).map(Email::parse) {
                Some(Ok(e)) => return Some(e.to_string()),
                Some(Err(e)) => self.push(value_at, format!("Email: {}", e.0)),
                None => self.push(value_at, "value is missing"),
            }
        }
        None
    }

    /// Identifiers with a system and a value, kept as sent.
    pub(super) fn identifiers(&mut self, at: &str, ids: &[Value]) -> Vec<Identifier> {
        let mut out = Vec::new();
        for (k, id) in ids.iter().enumerate().take(10) {
            let (system, value) = (
                id.get("system").and_then(Value::as_str),
                id.get("value").and_then(Value::as_str),
            );
            let ok = |s: &str| !s.is_empty() && s.len() <= 200 && unusable(s).is_none();
            match (system, value) {
                (Some(sys), Some(v)) if ok(sys) && ok(v) && !sys.contains(char::is_whitespace) => {
                    out.push(Identifier {
                        system: Some(sys.to_string()),
                        value: v.to_string(),
                    })
                }
                _ => self.push(
                    format!("{at}[{k}]"),
                    "Each identifier needs a system (a URI) and a value, of at most 200 \
                     characters each",
                ),
            }
        }
        out
    }

    fn resource_identifiers(&mut self, at: &str, obj: &'a Map<String, Value>) -> Vec<Identifier> {
        let ids = self.array(obj, "identifier", at);
        self.identifiers(&format!("{at}.identifier"), ids)
    }

    pub(super) fn practitioner(
        &mut self,
        at: &str,
        obj: &'a Map<String, Value>,
        d: &mut Details,
        sent: &mut AsSent,
    ) {
        sent.practitioner = self.resource_identifiers(at, obj);
        let names = self.array(obj, "name", at);
        match names
            .first()
            .and_then(Value::as_object)
            .and_then(human_name)
        {
            Some(n) => {
                d.referrer_name =
                    self.text(&format!("{at}.name[0]"), &n, 200, "The referrer's name")
            }
            None => self.push(
                format!("{at}.name"),
                "The practitioner needs a name (name.text, or given and family)",
            ),
        }
        if let Some(e) = self.contact_email(at, obj) {
            d.referrer_email.get_or_insert(e);
        }
    }

    pub(super) fn organization(
        &mut self,
        at: &str,
        obj: &'a Map<String, Value>,
        d: &mut Details,
        sent: &mut AsSent,
    ) {
        sent.organisation = self.resource_identifiers(at, obj);
        match str_of(obj, "name") {
            Some(n) => {
                d.referrer_organisation =
                    self.text(&format!("{at}.name"), n, 200, "The organisation's name")
            }
            None => self.push(format!("{at}.name"), "The organisation needs a name"),
        }
        if let Some(e) = self.contact_email(at, obj) {
            d.referrer_email.get_or_insert(e);
        }
    }

    pub(super) fn practitioner_role(
        &mut self,
        at: &str,
        obj: &'a Map<String, Value>,
        d: &mut Details,
        sent: &mut AsSent,
    ) {
        // The role's own email (the one for this job) comes first.
        if let Some(e) = self.contact_email(at, obj) {
            d.referrer_email = Some(e);
        }
        for (key, ty) in [
            ("practitioner", "Practitioner"),
            ("organization", "Organization"),
        ] {
            let Some(r) = obj.get(key) else {
                continue;
            };
            let r_at = format!("{at}.{key}");
            let Some(r) = self.object(r, &r_at, key) else {
                continue;
            };
            match str_of(r, "reference").filter(|x| x.starts_with('#')) {
                Some(reference) => {
                    if let Some((c_at, _, c)) =
                        self.resolve(reference, &format!("{r_at}.reference"), &[ty])
                    {
                        if ty == "Practitioner" {
                            self.practitioner(&c_at, c, d, sent);
                        } else {
                            self.organization(&c_at, c, d, sent);
                        }
                    }
                }
                None => {
                    if let Some(id) = r.get("identifier") {
                        let ids = self
                            .identifiers(&format!("{r_at}.identifier"), std::slice::from_ref(id));
                        if ty == "Practitioner" {
                            sent.practitioner = ids;
                        } else {
                            sent.organisation = ids;
                        }
                    }
                    if let Some(display) = str_of(r, "display") {
                        let what = if ty == "Practitioner" {
                            "The referrer's name"
                        } else {
                            "The organisation's name"
                        };
                        let v = self.text(&format!("{r_at}.display"), display, 200, what);
                        if ty == "Practitioner" {
                            d.referrer_name = v;
                        } else {
                            d.referrer_organisation = v;
                        }
                    }
                }
            }
        }
    }
}
