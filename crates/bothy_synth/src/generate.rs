//! One patient's story, from referral to discharge, as rows. Pure: the same
//! world and patient number always give the same rows.

use crate::alerts;
use crate::check_ins::{self, Course};
use crate::measures;
use crate::people::{self, Person};
use crate::referrals::{self, DAY, HOUR, Origin};
use crate::rng::Rng;
use crate::staff::Roster;
use crate::trajectories::Kind;
use bothy_domain::detectors::config::RiskItemConfig;
use bothy_domain::ids::{EpisodeId, ReferralId};
use bothy_domain::instruments::{Instrument, risk_flags};
use bothy_domain::referral::{Channel, Consents, Details, Referral, Status, Step};
use bothy_domain::referral::{Episode, problem_descriptor};
use bothy_domain::time::{Date, from_millis, uk_date};
use bothy_domain::{PatientId, ServiceId};
use bothy_store::{Batch, DemographicsRow, PatientRow};

/// Everything generation needs besides the patient's number.
pub struct World {
    pub seed: u64,
    /// Milliseconds: the end of the synthetic year.
    pub now: i64,
    pub today: Date,
    pub slug: String,
    pub service: ServiceId,
    pub roster: Roster,
    pub phq9: Instrument,
    pub gad7: Instrument,
    pub risk: RiskItemConfig,
}

impl World {
    fn patient_stream(&self, n: u64) -> Rng {
        Rng::stream(self.seed, n)
    }
}

/// Rows for patients `from..to` (numbered from 0 across the whole run).
pub fn batch(w: &World, from: u64, to: u64) -> Batch {
    let mut b = Batch::default();
    for n in from..to {
        patient(w, n, &mut b);
    }
    b
}

fn details(r: &mut Rng, p: &Person, origin: Origin, email: Option<String>) -> Details {
    let problems = referrals::problems(r);
    let (referrer_name, referrer_organisation) = origin.referrer(r);
    Details {
        given_name: Some(p.given_name.into()),
        family_name: Some(p.family_name.into()),
        date_of_birth: Some(p.date_of_birth),
        email,
        preferred_channel: Some(Channel::Email),
        postcode: Some(p.postcode.clone()),
        problems,
        consents: Consents {
            treatment: true,
            contact_email: true,
            contact_sms: r.chance(0.5),
            share_with_gp: r.chance(0.85),
            evaluation: r.chance(0.6),
        },
        referrer_name,
        referrer_organisation,
        ..Default::default()
    }
}

fn screen(r: &mut Rng, w: &World, d: &mut Details) -> (i64, bool) {
    let (phq, gad) = referrals::screening(r, d.problems[0]);
    let phq_answers = measures::answers(r, &w.phq9, phq);
    let risk = !risk_flags(&w.phq9, &phq_answers).is_empty();
    d.screening.insert(w.phq9.id.clone(), phq_answers);
    d.screening
        .insert(w.gad7.id.clone(), measures::answers(r, &w.gad7, gad));
    (phq, risk)
}

fn patient(w: &World, n: u64, b: &mut Batch) {
    let mut r = w.patient_stream(n);
    let r = &mut r;
    let person = people::person(r, w.today);
    let origin = r.pick(&referrals::ORIGINS);
    let triage_delay = (r.exponential(3.0 * DAY as f64) as i64).clamp(2 * HOUR, 28 * DAY);
    let received = referrals::arrival(r, origin, w.now, triage_delay);
    let decided = received + triage_delay;
    let patient_id = PatientId::from_uuid(r.uuid());
    let referral_id = ReferralId::from_uuid(r.uuid());
    let email = format!("p{n}@{}.synth.bothy.test", w.slug);
    let mut d = details(r, &person, origin, Some(email.clone()));
    let (start_phq, risk) = screen(r, w, &mut d);
    let gad_start = d
        .screening
        .get(&w.gad7.id)
        .map_or(0, |a| a.iter().flatten().sum::<i32>()) as i64;
    let triager = *r.choose(&w.roster.triage);
    let practitioner = *r.choose(&w.roster.supporters);
    let step = r.pick(&referrals::STEPS);
    let main = d.problems[0];
    b.patients.push(PatientRow {
        id: patient_id,
        service_id: w.service,
        given_name: person.given_name.into(),
        family_name: person.family_name.into(),
        date_of_birth: person.date_of_birth.to_string(),
        email: Some(email),
        phone: r
            .chance(0.75)
            .then(|| format!("07700 900{:03}", r.below(1000))),
        supporter_id: Some(practitioner),
        postcode: Some(person.postcode.clone()),
        created_at: from_millis(decided),
    });
    b.demographics.push(DemographicsRow {
        patient_id,
        sex: person.sex.into(),
        ethnicity: person.ethnicity.into(),
        postcode: person.postcode.clone(),
        imd_decile: person.imd_decile,
    });
    b.referrals.push(Referral {
        id: referral_id,
        service_id: w.service,
        status: Status::Accepted,
        source: origin.source(),
        details: d,
        risk,
        urgent: false,
        received_at: Some(from_millis(received)),
        created_at: from_millis(received - r.range(3, 30) * 60_000),
        updated_at: from_millis(decided),
        decision_note: Some(step.label().into()),
        decided_by: Some(triager),
        decided_at: Some(from_millis(decided)),
        patient_id: Some(patient_id),
    });
    let episode = Episode {
        id: EpisodeId::from_uuid(r.uuid()),
        patient_id,
        service_id: w.service,
        referral_id,
        step,
        practitioner_id: practitioner,
        problem_descriptor: problem_descriptor(&[main]),
        referred_at: from_millis(received),
        opened_at: from_millis(decided),
        first_treatment_at: None,
        treatment_appointments: 0,
        discharged_at: None,
        discharge_reason: None,
        outcome: None,
    };
    treat(w, r, episode, start_phq, gad_start, b);
    if r.chance(0.35) {
        other_referral(w, r, b);
    }
}

/// The course of treatment: when it starts, its sessions with their
/// measures and alerts, check-ins, and discharge.
fn treat(w: &World, r: &mut Rng, mut e: Episode, phq: i64, gad: i64, b: &mut Batch) {
    let opened = e.opened_at.as_millisecond();
    // Activating the programme is the first treatment contact; a few never
    // do. Other steps have a wait for a first appointment.
    let start = match e.step {
        Step::Programme if r.chance(0.12) => None,
        Step::Programme => Some(opened + (r.exponential(3.0 * DAY as f64) as i64).max(HOUR)),
        Step::Therapist => Some(opened + 7 * DAY + r.exponential(35.0 * DAY as f64) as i64),
        _ => Some(opened + 2 * DAY + r.exponential(14.0 * DAY as f64) as i64),
    }
    .filter(|t| *t <= w.now);
    let Some(first) = start else {
        if opened + 60 * DAY <= w.now {
            e.discharged_at = Some(from_millis(opened + 60 * DAY));
            e.discharge_reason = Some("Did not start treatment".into());
        }
        b.episodes.push(e);
        return;
    };
    e.first_treatment_at = Some(from_millis(first));
    let kind = Kind::draw(r);
    let sessions = kind.sessions(r);
    let mut alerts = Vec::new();
    let mut last = first;
    let mut done = 0;
    for k in 0..sessions {
        let at = if k == 0 {
            first + 10 * 60_000
        } else {
            first + i64::from(k) * 7 * DAY + r.range(-DAY, DAY)
        };
        if at > w.now {
            break;
        }
        let p = kind.score(r, phq, k, sessions, 27);
        let g = kind.score(r, gad, k, sessions, 21);
        let rp = measures::response(r, &w.phq9, e.patient_id, w.service, p, from_millis(at));
        let rg = measures::response(
            r,
            &w.gad7,
            e.patient_id,
            w.service,
            g,
            from_millis(at + 120_000),
        );
        for resp in [&rp, &rg] {
            let inst = if resp.instrument_id == w.phq9.id {
                &w.phq9
            } else {
                &w.gad7
            };
            alerts::on_response(
                r,
                inst,
                &w.risk,
                resp,
                e.practitioner_id,
                &w.roster.duty,
                w.now,
                &mut alerts,
            );
        }
        b.responses.push(rp);
        b.responses.push(rg);
        last = at;
        done += 1;
    }
    e.treatment_appointments = done;
    // A dropout's discharge comes three weeks after the last contact, once
    // the service has tried to reach them; a finished course's within days.
    let gap = if kind == Kind::Dropout {
        21 * DAY
    } else {
        r.range(1, 10) * DAY
    };
    let end = last + gap;
    if done == sessions && end <= w.now {
        e.discharged_at = Some(from_millis(end));
        e.discharge_reason = Some(
            if kind == Kind::Dropout {
                "Stopped attending: no reply after two contacts"
            } else {
                "Completed treatment"
            }
            .into(),
        );
    }
    let course = Course {
        patient: e.patient_id,
        service: w.service,
        kind,
        sessions,
        start_phq: phq,
        from: first,
        to: if kind == Kind::Dropout {
            last + 7 * DAY
        } else {
            end
        }
        .min(w.now),
    };
    check_ins::generate(r, &course, &mut b.check_ins);
    b.alerts.extend(alerts);
    b.episodes.push(e);
}

/// A referral that did not (or not yet) make anyone a patient here.
fn other_referral(w: &World, r: &mut Rng, b: &mut Batch) {
    let person = people::person(r, w.today);
    let origin = r.pick(&referrals::ORIGINS);
    let (status, note) = referrals::not_accepted(r);
    let mut d = details(r, &person, origin, None);
    let (_, risk) = screen(r, w, &mut d);
    let received = match status {
        Status::Received => w.now - r.range(HOUR, 5 * DAY),
        Status::InfoRequested => w.now - r.range(3 * DAY, 40 * DAY),
        _ => referrals::arrival(r, origin, w.now, 14 * DAY),
    };
    let decided = (status != Status::Received)
        .then(|| received + r.range(2 * HOUR, 10 * DAY))
        .filter(|t| *t <= w.now);
    let id = ReferralId::from_uuid(r.uuid());
    b.referrals.push(Referral {
        id,
        service_id: w.service,
        status: if decided.is_some() {
            status
        } else {
            Status::Received
        },
        source: origin.source(),
        details: d,
        risk,
        urgent: false,
        received_at: Some(from_millis(received)),
        created_at: from_millis(received - r.range(3, 30) * 60_000),
        updated_at: from_millis(decided.unwrap_or(received)),
        decision_note: decided.map(|_| note.to_string()),
        decided_by: decided.map(|_| *r.choose(&w.roster.triage)),
        decided_at: decided.map(from_millis),
        patient_id: None,
    });
}

/// `now` as the service's "today", for ages.
pub fn today(now: i64) -> Date {
    uk_date(from_millis(now))
}
