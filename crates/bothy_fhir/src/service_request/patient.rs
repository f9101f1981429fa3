//! Reading the subject: a contained Patient, or a reference to one.

use super::*;

impl<'a> Reader<'a> {
    /// The subject, and its reference as given (for checking the answers
    /// are about the same person).
    pub(super) fn subject(
        &mut self,
        obj: &'a Map<String, Value>,
        d: &mut Details,
        sent: &mut AsSent,
    ) -> (Option<Subject>, Option<String>) {
        let path = format!("{SR}.subject");
        let reference = match obj.get("subject") {
            None => {
                self.push(
                    path,
                    "subject is missing: give the person referred, as a contained Patient \
                     (\"#id\") or Patient/{id} of a patient of this service",
                );
                return (None, None);
            }
            Some(Value::Object(s)) => match s.get("reference") {
                Some(Value::String(r)) => r.as_str(),
                _ => {
                    self.push(
                        format!("{path}.reference"),
                        "subject.reference is missing: it must name a contained Patient (\"#id\") \
                         or be Patient/{id}",
                    );
                    return (None, None);
                }
            },
            Some(_) => {
                self.push(path, "subject must be a Reference object");
                return (None, None);
            }
        };
        let ref_path = format!("{path}.reference");
        if reference.starts_with('#') {
            let Some((at, _, patient)) = self.resolve(reference, &ref_path, &["Patient"]) else {
                return (None, Some(reference.to_string()));
            };
            self.patient(&at, patient, d);
            match patient.get("gender") {
                None => {}
                Some(Value::String(g))
                    if ["male", "female", "other", "unknown"].contains(&g.as_str()) =>
                {
                    sent.gender = Some(g.clone())
                }
                Some(_) => self.push(
                    format!("{at}.gender"),
                    "gender must be male, female, other or unknown (FHIR administrative gender)",
                ),
            }
            return (Some(Subject::Contained), Some(reference.to_string()));
        }
        let rel = relative(reference, self.base);
        match rel.split_once('/') {
            Some(("Patient", id)) => match id.parse::<PatientId>() {
                Ok(id) => (Some(Subject::Patient(id)), Some(rel.to_string())),
                // An id that cannot exist names nobody: said as for any unknown patient.
                Err(_) => {
                    self.issues.push(unknown_patient_issue());
                    (None, Some(rel.to_string()))
                }
            },
            _ => {
                self.push(
                    ref_path,
                    "subject must be a Patient: a contained Patient (\"#id\") or Patient/{id}",
                );
                (None, None)
            }
        }
    }

    /// A contained Patient at `p`, read into the details.
    pub(super) fn patient(&mut self, p: &str, obj: &'a Map<String, Value>, d: &mut Details) {
        self.patient_name(p, obj, d);
        let dob = match obj.get("birthDate") {
            Some(Value::String(s)) => match DateOfBirth::parse(s, self.today) {
                Ok(dob) => Some(dob.date()),
                Err(e) => {
                    self.push(format!("{p}.birthDate"), e.0);
                    None
                }
            },
            Some(_) => {
                self.push(format!("{p}.birthDate"), "birthDate must be a date string");
                None
            }
            None => {
                self.push(
                    format!("{p}.birthDate"),
                    "birthDate is missing: the date of birth is needed to find the person's \
                     records and check their identifiers",
                );
                None
            }
        };
        d.date_of_birth = dob;
        self.patient_telecom(p, obj, d);
        self.patient_identifiers(p, obj, dob, d);

        let addresses = self.array(obj, "address", p);
        if let Some((k, code)) = addresses.iter().enumerate().find_map(|(k, a)| {
            let old = a.get("use").and_then(Value::as_str) == Some("old");
            let code = a.get("postalCode")?;
            (!old).then_some((k, code))
        }) {
            let at = format!("{p}.address[{k}].postalCode");
            match code.as_str().map(UkPostcode::parse) {
                Some(Ok(pc)) => d.postcode = Some(pc.to_string()),
                Some(Err(e)) => self.push(at, e.0),
                None => self.push(at, "postalCode must be a string"),
            }
        }

        let comms = self.array(obj, "communication", p);
        let chosen = comms
            .iter()
            .position(|c| c.get("preferred").and_then(Value::as_bool) == Some(true))
            .or((!comms.is_empty()).then_some(0));
        if let Some(k) = chosen {
            let lang = &comms[k]["language"];
            let coding = &lang["coding"][0];
            let said = lang["text"]
                .as_str()
                .or_else(|| coding["display"].as_str())
                .or_else(|| coding["code"].as_str());
            match said {
                Some(s) => {
                    let at = format!("{p}.communication[{k}].language");
                    d.language = self.text(&at, s, 60, "The language");
                }
                None => self.push(
                    format!("{p}.communication[{k}].language"),
                    "language needs a text or a coding",
                ),
            }
        }

        let gps = self.array(obj, "generalPractitioner", p);
        if let Some(gp) = gps.first() {
            let at = format!("{p}.generalPractitioner[0]");
            if let Some(g) = self.object(gp, &at, "generalPractitioner") {
                let mut name = None;
                if let Some(r) = str_of(g, "reference").filter(|r| r.starts_with('#')) {
                    if let Some((org_at, _, org)) =
                        self.resolve(r, &format!("{at}.reference"), &["Organization"])
                    {
                        name = str_of(org, "name").map(|n| (format!("{org_at}.name"), n));
                        if name.is_none() {
                            self.push(format!("{org_at}.name"), "The GP practice needs a name");
                        }
                    }
                } else if let Some(display) = str_of(g, "display") {
                    name = Some((format!("{at}.display"), display));
                }
                if let Some((at, n)) = name {
                    d.gp_practice = self.text(&at, n, 200, "The GP practice");
                }
            }
        }
    }

    pub(super) fn patient_name(&mut self, p: &str, obj: &'a Map<String, Value>, d: &mut Details) {
        let names = self.array(obj, "name", p);
        if names.is_empty() {
            // (A name that is not an array was reported by `array`.)
            if obj.get("name").is_none_or(Value::is_array) {
                self.push(
                    format!("{p}.name"),
                    "name is missing: give the person's family name and given name",
                );
            }
            return;
        }
        let use_of = |n: &Value| n.get("use").and_then(Value::as_str).map(str::to_string);
        let k = names
            .iter()
            .position(|n| use_of(n).as_deref() == Some("official"))
            .or_else(|| {
                names
                    .iter()
                    .position(|n| !matches!(use_of(n).as_deref(), Some("old" | "maiden")))
            })
            .unwrap_or(0);
        let at = format!("{p}.name[{k}]");
        let Some(n) = self.object(&names[k], &at, "Each name") else {
            return;
        };
        match n.get("family") {
            Some(Value::String(f)) => match PersonName::parse(f) {
                Ok(f) => d.family_name = Some(f.to_string()),
                Err(e) => self.push(format!("{at}.family"), format!("Family name: {}", e.0)),
            },
            Some(_) => self.push(format!("{at}.family"), "family must be a string"),
            None => self.push(
                format!("{at}.family"),
                "family is missing: give the person's family name",
            ),
        }
        match n.get("given") {
            Some(Value::Array(g)) if !g.is_empty() => {
                if g.iter().all(Value::is_string) {
                    let joined = g
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(" ");
                    match PersonName::parse(&joined) {
                        Ok(g) => d.given_name = Some(g.to_string()),
                        Err(e) => self.push(format!("{at}.given"), format!("Given name: {}", e.0)),
                    }
                } else {
                    self.push(format!("{at}.given"), "given must be an array of strings");
                }
            }
            Some(Value::Array(_)) | None => self.push(
                format!("{at}.given"),
                "given is missing: give the person's given name",
            ),
            Some(_) => self.push(format!("{at}.given"), "given must be an array of strings"),
        }
    }

    pub(super) fn patient_telecom(
        &mut self,
        p: &str,
        obj: &'a Map<String, Value>,
        d: &mut Details,
    ) {
        let before = self.issues.len();
        let mut email: Option<(Email, i64)> = None;
        let mut phone: Option<(PhoneNumber, i64)> = None;
        for (k, t) in self.array(obj, "telecom", p).iter().enumerate() {
            let at = format!("{p}.telecom[{k}]");
            let Some(t) = self.object(t, &at, "Each telecom") else {
                continue;
            };
            if str_of(t, "use") == Some("old") {
                continue;
            }
            let rank = t.get("rank").and_then(Value::as_i64).unwrap_or(i64::MAX);
            let system = str_of(t, "system");
            if !matches!(system, Some("email" | "phone" | "sms")) {
                // Fax, pager, url, other: not ways we contact people.
                continue;
            }
            let Some(value) = str_of(t, "value") else {
                self.push(format!("{at}.value"), "value is missing");
                continue;
            };
            if system == Some("email") {
                match Email::parse(value) {
                    Ok(e) if email.as_ref().is_none_or(|(_, r)| rank < *r) => {
                        email = Some((e, rank))
                    }
                    Ok(_) => {}
                    Err(e) => self.push(format!("{at}.value"), format!("Email: {}", e.0)),
                }
            } else {
                match PhoneNumber::parse(value) {
                    Ok(n) if phone.as_ref().is_none_or(|(_, r)| rank < *r) => {
                        phone = Some((n, rank))
                    }
                    Ok(_) => {}
                    Err(e) => self.push(format!("{at}.value"), format!("Phone: {}", e.0)),
                }
            }
        }
        let mobile = phone.as_ref().filter(|(n, _)| n.is_uk_mobile());
        // The referrer sends the ways the person agreed to be contacted
        // about their referral: each is a consent to that channel, and the
        // lowest rank comes first (docs/decisions-channels.md). A landline
        // is kept for staff to phone; no message can go to it, and
        // `bothy_domain::contact` records why when one would have.
        d.consents.contact_email = email.is_some();
        d.consents.contact_sms = mobile.is_some();
        d.preferred_channel = match (&email, mobile) {
            (Some((_, er)), Some((_, pr))) if pr < er => Some(Channel::Sms),
            (Some(_), _) => Some(Channel::Email),
            (None, Some(_)) => Some(Channel::Sms),
            (None, None) => None,
        };
        if email.is_none() && phone.is_none() && self.issues.len() == before {
            self.push(
                format!("{p}.telecom"),
                "Give a way to reach the person: an email address or a phone number (telecom \
                 with system email, phone or sms)",
            );
        }
        d.email = email.map(|(e, _)| e.to_string());
        d.phone = phone.map(|(n, _)| n.to_string());
    }

    pub(super) fn patient_identifiers(
        &mut self,
        p: &str,
        obj: &'a Map<String, Value>,
        dob: Option<Date>,
        d: &mut Details,
    ) {
        let mut nhs: Option<NhsNumber> = None;
        let mut chi: Option<(Chi, String)> = None;
        for (k, id) in self.array(obj, "identifier", p).iter().enumerate() {
            let at = format!("{p}.identifier[{k}]");
            let Some(id) = self.object(id, &at, "Each identifier") else {
                continue;
            };
            let system = str_of(id, "system").unwrap_or_default();
            let is_nhs = system == NhsNumber::FHIR_SYSTEM;
            let is_chi = CHI_SYSTEMS.contains(&system);
            if !(is_nhs || is_chi) {
                continue;
            }
            let value_at = format!("{at}.value");
            let Some(value) = str_of(id, "value") else {
                self.push(value_at, "value is missing");
                continue;
            };
            if is_nhs {
                match NhsNumber::parse(value) {
                    Ok(n) if nhs.as_ref().is_some_and(|prev| *prev != n) => self.push(
                        value_at,
                        "The Patient has two different NHS numbers: give only the person's own",
                    ),
                    Ok(n) => nhs = Some(n),
                    Err(e) => self.push(value_at, e.0),
                }
            } else {
                match Chi::parse(value, self.today) {
                    Ok(c) if chi.as_ref().is_some_and(|(prev, _)| *prev != c) => self.push(
                        value_at,
                        "The Patient has two different CHI numbers: give only the person's own",
                    ),
                    Ok(c) => chi = Some((c, value_at)),
                    Err(e) => self.push(value_at, e.0),
                }
            }
        }
        if let (Some((c, at)), Some(dob)) = (&chi, dob)
            && !c.matches_date_of_birth(dob)
        {
            self.push(
                at.clone(),
                "The first 6 numbers of a CHI number are the date of birth (DDMMYY), and these do \
                 not match birthDate: check both",
            );
        }
        d.nhs_number = nhs.map(|n| n.as_str().to_string());
        d.chi = chi.map(|(c, _)| c.as_str().to_string());
    }
}
