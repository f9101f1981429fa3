//! W1 and W2, the durable writes: a PHQ-9 through the patient's form, the
//! same through FHIR, and a mood check-in. Each client takes its patients in
//! turn, so that no one patient's history grows far past a real one's
//! during a measurement. (Their baseline is in `native.rs`.)

use crate::client::{Conn, expect_redirect};
use crate::load::Client;
use bothy_domain::PatientId;
use bothy_domain::instruments::Instrument;
use hyper::StatusCode;
use serde_json::{Value, json};
use std::net::{IpAddr, SocketAddr};

/// A small deterministic mix of answers, so scores and bands vary.
fn answer(seq: u64, item: u64) -> i32 {
    ((seq.wrapping_mul(2_654_435_761) >> (item * 2)) % 4) as i32
}

/// A patient signed in over its own connection.
pub struct Patient {
    pub conn: Conn,
    /// Unique to this client and run, for idempotency keys.
    pub tag: String,
}

impl Patient {
    /// Signs in from `source`: the server throttles sign-ins per address.
    pub async fn sign_in(
        addr: SocketAddr,
        source: Option<IpAddr>,
        email: &str,
        password: &str,
        tag: String,
    ) -> anyhow::Result<Patient> {
        let mut conn = Conn::open_from(addr, source).await?;
        conn.get("/sign-in").await?;
        let a = conn
            .post_form("/sign-in", &[("email", email), ("password", password)])
            .await?;
        expect_redirect(&a, "/home", "patient sign-in")?;
        // The session is new after sign-in: read its CSRF token from the form.
        conn.get("/measures/phq9").await?;
        Ok(Patient { conn, tag })
    }

    /// Another connection with the same session.
    pub async fn again(&self, tag: String) -> anyhow::Result<Patient> {
        Ok(Patient {
            conn: self.conn.open_like().await?,
            tag,
        })
    }
}

/// A client's patients, taken in turn: request `seq` is patient `seq mod n`'s.
pub struct Turns(pub Vec<Patient>);

impl Turns {
    fn next(&mut self, seq: u64) -> (&mut Patient, u64) {
        let n = self.0.len().max(1) as u64;
        (&mut self.0[(seq % n) as usize], seq / n)
    }
}

/// W1 through the form.
pub struct FormPhq9(pub Turns);

impl Client for FormPhq9 {
    async fn call(&mut self, seq: u64) -> bool {
        let (p, seq) = self.0.next(seq);
        let key = format!("{}-phq9-{seq}", p.tag);
        let items: Vec<(String, String)> = (1..=9)
            // Item 9 (thoughts of self-harm) stays 0: the common path, no alert.
            .map(|n| {
                (
                    format!("item-{n}"),
                    if n == 9 { 0 } else { answer(seq, n) }.to_string(),
                )
            })
            .collect();
        let mut fields: Vec<(&str, &str)> = items
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        fields.extend([("key", key.as_str()), ("action", "submit")]);
        matches!(p.conn.post_form("/measures/phq9", &fields).await,
            Ok(a) if a.status == StatusCode::SEE_OTHER && a.location.as_deref().is_some_and(|l| l.starts_with("/measures/responses/")))
    }
}

/// W2: one tap on a mood button.
pub struct CheckIn(pub Turns);

impl Client for CheckIn {
    async fn call(&mut self, seq: u64) -> bool {
        let (p, seq) = self.0.next(seq);
        let key = format!("{}-mood-{seq}", p.tag);
        let mood = (3 + seq % 5).to_string();
        matches!(p.conn.post_form("/check-in", &[("mood", &mood), ("key", &key)]).await,
            Ok(a) if a.status == StatusCode::SEE_OTHER)
    }
}

/// W1 through `POST /fhir/QuestionnaireResponse` with an API client's
/// token, for its patients in turn.
pub struct FhirPhq9 {
    pub conn: Conn,
    pub patients: Vec<PatientId>,
    pub tag: String,
    pub base: String,
    pub phq9: Instrument,
}

impl FhirPhq9 {
    fn body(&self, seq: u64) -> Value {
        let patient = self.patients[(seq as usize) % self.patients.len().max(1)];
        let inst = &self.phq9;
        let items: Vec<Value> = inst
            .items
            .iter()
            .map(|item| {
                let score = if item.n == 9 {
                    0
                } else {
                    answer(seq, u64::from(item.n))
                };
                let opt = inst.options_for(item).iter().find(|o| o.score == score);
                let coding = match opt.and_then(|o| o.loinc.clone()) {
                    Some(code) => json!({ "system": "http://loinc.org", "code": code }),
                    None => json!({
                        "system": format!("{}/CodeSystem/{}-answers", self.base, inst.id),
                        "code": score.to_string(),
                    }),
                };
                let link = item.loinc.clone().unwrap_or_else(|| item.n.to_string());
                json!({ "linkId": link, "answer": [{ "valueCoding": coding }] })
            })
            .collect();
        json!({
            "resourceType": "QuestionnaireResponse",
            "identifier": { "system": "urn:example:bothy-bench", "value": format!("{}-{seq}", self.tag) },
            "questionnaire": format!("{}/Questionnaire/{}|{}", self.base, inst.id, inst.version),
            "status": "completed",
            "subject": { "reference": format!("Patient/{patient}") },
            "item": items,
        })
    }
}

impl Client for FhirPhq9 {
    async fn call(&mut self, seq: u64) -> bool {
        let body = self.body(seq).to_string();
        matches!(self.conn.post_json("/fhir/QuestionnaireResponse", "application/fhir+json", body).await,
            Ok(a) if a.status == StatusCode::CREATED)
    }
}
