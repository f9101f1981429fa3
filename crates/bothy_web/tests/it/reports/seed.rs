//! A small service's worth of people written straight into the tables,
//! and the figures expected of them computed here, in plain Rust over the
//! same list, independently of the report code.

use crate::helpers::TestApp;

pub const FROM: &str = "2025-12-01";
pub const TO: &str = "2026-11-17";
/// 2025-12-01T00:00Z (GMT, so UK midnight) and 2026-11-18T00:00Z.
pub const FROM_MS: i64 = 1_764_547_200_000;
pub const TO_MS: i64 = 1_794_960_000_000;
const DAY: i64 = 86_400_000;
const WEEK: i64 = 7 * DAY;

pub struct Seeded {
    pub i: usize,
    pub dob: (i64, i64, i64),
    pub sex: &'static str,
    pub ethnicity: &'static str,
    pub postcode: String,
    pub decile: i64,
    pub source: &'static str,
    pub sms: bool,
    pub received: i64,
    pub first_treatment: Option<i64>,
    pub appointments: i64,
    pub discharged: Option<i64>,
    pub flags: i64,
    pub alert: Option<(i64, Option<i64>)>,
    pub activated: bool,
    pub checked_in: bool,
}

pub const N: usize = 120;

pub fn people() -> Vec<Seeded> {
    (0..N)
        .map(|i| {
            let received = FROM_MS + (i as i64) * (5 * DAY / 2) + 3_600_000;
            let first_treatment = (i % 6 != 5)
                .then(|| received + (i as i64 % 23) * WEEK + (i as i64 % 2) * 3_600_000);
            let appointments = if first_treatment.is_some() {
                i as i64 % 5
            } else {
                0
            };
            let discharged = (i % 3 == 0).then(|| first_treatment.unwrap_or(received) + 10 * WEEK);
            let finished = appointments >= 2;
            let caseness = finished && i % 2 == 0;
            let recovered = caseness && i % 4 == 0;
            let ri = finished && i % 5 != 0;
            let rr = recovered && ri;
            let rd = finished && i % 7 == 0 && !ri;
            let flags = [finished, caseness, recovered, ri, rr, rd]
                .iter()
                .enumerate()
                .map(|(b, on)| i64::from(*on) << b)
                .sum();
            Seeded {
                i,
                dob: (
                    1950 + (i as i64 * 7) % 60,
                    1 + i as i64 % 12,
                    1 + i as i64 % 28,
                ),
                sex: if i % 3 == 0 { "male" } else { "female" },
                ethnicity: ["white", "asian", "black", "mixed", "other"][(i * 3) % 5],
                postcode: format!("EH{} {}AB", i % 9 + 1, i % 10),
                decile: (i as i64 * 7) % 10 + 1,
                source: ["self", "self", "professional", "fhir", "self"][i % 5],
                sms: i % 4 == 0,
                received,
                first_treatment,
                appointments,
                discharged,
                flags,
                alert: (i % 4 == 1).then(|| {
                    let raised = received + 2 * DAY;
                    (
                        raised,
                        (i % 8 != 1).then(|| raised + (i as i64 % 3) * 20 * 3_600_000),
                    )
                }),
                activated: i % 2 == 0,
                checked_in: i % 3 == 0,
            }
        })
        .collect()
}

impl Seeded {
    pub fn quintile(&self) -> String {
        ((self.decile + 1) / 2).to_string()
    }
    pub fn age_on_to(&self) -> i64 {
        let born = self.dob.0 * 10_000 + self.dob.1 * 100 + self.dob.2;
        (20261117 - born) / 10_000
    }
    pub fn age_band_label(&self) -> &'static str {
        match self.age_on_to() {
            a if a >= 65 => "65 and over",
            a if a >= 55 => "55 to 64",
            a if a >= 45 => "45 to 54",
            a if a >= 35 => "35 to 44",
            a if a >= 25 => "25 to 34",
            a if a >= 18 => "18 to 24",
            _ => "Under 18",
        }
    }
}

fn opt(v: Option<i64>) -> String {
    v.map_or_else(|| "NULL".to_string(), |v| v.to_string())
}

/// Writes everyone, supported by the demo clinical lead, with outcome
/// flags under the rules in force.
pub async fn seed(t: &TestApp, people: &[Seeded]) {
    let rules = bothy_domain::outcomes::rules_fingerprint(t.app.catalogue());
    let service = "(SELECT id FROM services WHERE slug = 'demo')";
    let lead = format!(
        "(SELECT id FROM staff WHERE email = '{}')",
        t.staff("clinical_lead").email
    );
    let mut sql = String::new();
    for p in people {
        let i = p.i;
        let dob = format!("{:04}-{:02}-{:02}", p.dob.0, p.dob.1, p.dob.2);
        sql.push_str(&format!(
            "INSERT INTO patients (id, service_id, given_name, family_name, date_of_birth, password_hash, supporter_id, postcode, created_at) \
             VALUES ('rp{i}', {service}, 'Seeded{i}', 'Person', '{dob}', {pw}, {lead}, '{pc}', {at});\n\
             INSERT INTO patient_demographics (patient_id, sex, ethnicity, postcode, imd_decile) VALUES ('rp{i}', '{sex}', '{eth}', '{pc}', {dec});\n\
             INSERT INTO contact_preferences (patient_id, email, sms, preferred, updated_at) VALUES ('rp{i}', 1, {sms}, '{pref}', {at});\n\
             INSERT INTO referrals (id, service_id, status, source, date_of_birth, postcode, preferred_channel, received_at, created_at, updated_at, patient_id) \
             VALUES ('rr{i}', {service}, 'accepted', '{src}', '{dob}', '{pc}', '{pref}', {at}, {at}, {at}, 'rp{i}');\n\
             INSERT INTO episodes (id, patient_id, service_id, referral_id, step, practitioner_id, problem_descriptor, referred_at, opened_at, first_treatment_at, treatment_appointments, discharged_at, outcome_flags, outcome_rules) \
             VALUES ('re{i}', 'rp{i}', {service}, 'rr{i}', 'guided_self_help', {lead}, 'depression', {at}, {opened}, {ft}, {appts}, {dis}, {flags}, {rules});\n",
            pw = if p.activated { "'x'" } else { "NULL" },
            pc = p.postcode,
            at = p.received,
            sex = p.sex,
            eth = p.ethnicity,
            dec = p.decile,
            sms = i64::from(p.sms),
            pref = if p.sms { "sms" } else { "email" },
            src = p.source,
            opened = p.received + DAY,
            ft = opt(p.first_treatment),
            appts = p.appointments,
            dis = opt(p.discharged),
            flags = if p.discharged.is_some() { p.flags.to_string() } else { "NULL".to_string() },
            rules = if p.discharged.is_some() { format!("'{rules}'") } else { "NULL".to_string() },
        ));
        if let Some((raised, acked)) = p.alert {
            sql.push_str(&format!(
                "INSERT INTO alerts (id, patient_id, service_id, cause, dedupe_key, severity, severity_rank, summary, source_kind, source_id, raised_at, deadline_at, signal_count, last_signal_at, acknowledged_at) \
                 VALUES ('ra{i}', 'rp{i}', {service}, 'risk_item', 'seed{i}', 'high', 3, 'Seeded', 'measure', 'x{i}', {raised}, {deadline}, 1, {raised}, {acked});\n",
                deadline = raised + DAY,
                acked = opt(acked),
            ));
        }
        if p.checked_in {
            sql.push_str(&format!(
                "INSERT INTO mood_summaries (patient_id, moods, check_ins, last_recorded_at, last_checked_in_at) VALUES ('rp{i}', '555', 3, {0}, {0});\n",
                p.received
            ));
        }
    }
    t.raw_sql(&sql).await;
}
