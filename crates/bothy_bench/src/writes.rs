//! W1 and W2, the durable writes: a PHQ-9 through the patient's form, the
//! same through FHIR, a mood check-in, and the raw baseline: one row of
//! about the same size per transaction, straight into a scratch table.

use crate::client::{Conn, expect_redirect};
use crate::load::Client;
use bothy_domain::PatientId;
use bothy_domain::instruments::Instrument;
use bothy_store::Store;
use hyper::StatusCode;
use serde_json::{Value, json};

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
    pub async fn sign_in(
        addr: std::net::SocketAddr,
        email: &str,
        password: &str,
        tag: String,
    ) -> anyhow::Result<Patient> {
        let mut conn = Conn::open(addr).await?;
        conn.get("/sign-in").await?;
        let a = conn
            .post_form("/sign-in", &[("email", email), ("password", password)])
            .await?;
        expect_redirect(&a, "/home", "patient sign-in")?;
        // The session is new after sign-in: read its CSRF token from the form.
        conn.get("/measures/phq9").await?;
        Ok(Patient { conn, tag })
    }
}

/// W1 through the form.
pub struct FormPhq9(pub Patient);

impl Client for FormPhq9 {
    async fn call(&mut self, seq: u64) -> bool {
        let key = format!("{}-phq9-{seq}", self.0.tag);
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
        matches!(self.0.conn.post_form("/measures/phq9", &fields).await,
            Ok(a) if a.status == StatusCode::SEE_OTHER && a.location.as_deref().is_some_and(|l| l.starts_with("/measures/responses/")))
    }
}

/// W2: one tap on a mood button.
pub struct CheckIn(pub Patient);

impl Client for CheckIn {
    async fn call(&mut self, seq: u64) -> bool {
        let key = format!("{}-mood-{seq}", self.0.tag);
        let mood = (3 + seq % 5).to_string();
        matches!(self.0.conn.post_form("/check-in", &[("mood", &mood), ("key", &key)]).await,
            Ok(a) if a.status == StatusCode::SEE_OTHER)
    }
}

/// W1 through `POST /fhir/QuestionnaireResponse` with an API client's token.
pub struct FhirPhq9 {
    pub conn: Conn,
    pub patient: PatientId,
    pub tag: String,
    pub base: String,
    pub phq9: Instrument,
}

impl FhirPhq9 {
    fn body(&self, seq: u64) -> Value {
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
            "subject": { "reference": format!("Patient/{}", self.patient) },
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

/// The baseline: the same durable commit with no HTTP and no logic.
pub struct RawInsert {
    pub store: Store,
    pub tag: String,
    pub patient: String,
}

/// About the size of a stored PHQ-9 response row (ids, instrument, answers,
/// band, risk items, key, times): 300 bytes of text.
const PAYLOAD: &str = concat!(
    "{\"instrument\":\"phq9\",\"version\":\"1\",\"answers\":[1,2,0,3,1,2,0,1,0],\"total\":10,",
    "\"band\":\"moderate\",\"at_caseness\":1,\"prorated\":0,\"risk_items\":[],\"source\":\"web\",",
    "\"submitted_by_kind\":\"patient\",\"padding\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}"
);

impl Client for RawInsert {
    async fn call(&mut self, seq: u64) -> bool {
        let id = format!("{}-{seq}", self.tag);
        self.store
            .baseline_insert(&id, &self.patient, PAYLOAD, seq as i64)
            .await
            .is_ok()
    }
}
