//! Bothy's use cases. Each public method on [`App`] is one thing a person or
//! system can do: it checks authorization, changes the store in one
//! transaction together with its audit event, and returns domain values.
//! No HTTP, HTML or SQL here.

pub mod activation;
pub mod admin;
pub mod alerts;
pub mod appointments;
pub mod bulk_export;
pub mod check_in_prompts;
pub mod check_ins;
pub mod clock;
pub mod contact;
pub mod content;
pub mod credentials;
pub mod dashboard;
pub mod dead_letters;
pub mod demo;
mod detection;
pub mod enrolments;
pub mod episodes;
pub mod error;
pub mod evaluation;
pub mod fhir_referrals;
pub mod fhir_search;
pub mod jobs;
pub mod measures;
pub mod messages;
pub mod monitoring;
pub mod notify;
pub mod outcomes;
pub mod peer;
pub mod periodic;
pub mod policy;
pub mod programmes;
pub mod queue;
mod read_audit;
pub mod records;
pub mod refer_lookup;
mod referral_notify;
pub mod referrals;
mod reminders;
pub mod reviews;
pub mod safety_plans;
pub mod sessions;
pub mod signin;
pub mod smart;
pub mod sms;
pub mod summaries;
pub mod sweep;
pub mod throttle;
pub mod tools;
pub mod triage;
mod work;

pub use clock::{Clock, FakeClock, SystemClock};
pub use error::{AppError, DATABASE_UNAVAILABLE, FieldError};
pub use policy::{Access, Actor, Permission};

use bothy_domain::audit::{Action, ActorKind, AuditRecord};
use bothy_domain::crisis::CrisisContacts;
use bothy_domain::time::to_millis;
use bothy_store::{Store, Tx};
use std::sync::Arc;
use std::time::Duration;

/// Settings the use cases need, from the loaded configuration.
#[derive(Debug, Clone)]
pub struct AppSettings {
    /// The address people use to reach this deployment, for links in messages.
    pub public_url: String,
    pub staff_idle_timeout: Duration,
    pub staff_absolute_timeout: Duration,
    pub patient_idle_timeout: Duration,
    pub enrolment_link_lifetime: Duration,
    /// Sign-in attempts allowed per account per 15 minutes (burst), and per IP address.
    pub sign_in_attempts_per_account: u32,
    pub sign_in_attempts_per_ip: u32,
    /// Measures every patient is asked to complete routinely (instrument ids),
    /// and how often. NHS Talking Therapies asks for PHQ-9 and GAD-7 at every
    /// contact; between contacts every two weeks is the common default.
    pub routine_measures: Vec<String>,
    pub measure_interval: Duration,
    /// Threads hashing passwords, each with its own reused 19 MiB block:
    /// the most memory sign-ins can take, however many arrive at once.
    pub password_hash_workers: usize,
    /// The key that signs Jitsi Meet room links (`video.jitsi_secret`),
    /// shared with the Jitsi server; none, Jitsi video cannot be booked.
    pub jitsi_secret: Option<appointments::VideoSecret>,
    /// Service reports suppress counts from 1 to this less one
    /// (`reports.suppress_below`; docs/reports.md).
    pub report_suppress_below: u64,
    /// The key that pseudonymises reporting extracts (`reports.extract_key`);
    /// none, extracts cannot be made.
    pub extract_key: Option<bothy_domain::reports::ExtractKey>,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            staff_idle_timeout: Duration::from_secs(15 * 60),
            staff_absolute_timeout: Duration::from_secs(12 * 3600),
            patient_idle_timeout: Duration::from_secs(30 * 60),
            enrolment_link_lifetime: Duration::from_secs(72 * 3600),
            sign_in_attempts_per_account: 5,
            sign_in_attempts_per_ip: 100,
            routine_measures: vec!["phq9".into(), "gad7".into()],
            measure_interval: Duration::from_secs(14 * 24 * 3600),
            password_hash_workers: 1,
            jitsi_secret: None,
            report_suppress_below: 5,
            extract_key: None,
        }
    }
}

/// Where a request came from, recorded in audit events.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub request_id: Option<String>,
    pub ip: Option<std::net::IpAddr>,
}

/// The application: the store, the clock and the settings, passed explicitly.
pub struct App {
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) settings: AppSettings,
    pub(crate) crisis: CrisisContacts,
    /// The instruments in use: the shipped defaults with any deployment overrides.
    pub(crate) catalogue: bothy_domain::instruments::load::Catalogue,
    /// Delivers messages: an in-memory outbox unless [`App::with_notifier`] says otherwise.
    pub(crate) notifier: Arc<dyn notify::Notifier>,
    /// Each service's opening hours, deadlines and detectors, and the lexicon.
    pub(crate) service_monitoring: monitoring::MonitoringSettings,
    throttle: throttle::SignInThrottle,
    referral_throttle: throttle::ReferralThrottle,
    anonymous_sessions: throttle::AnonymousSessions,
    /// The programmes in effect (`programmes::load_programmes`).
    programmes: Arc<Vec<bothy_domain::programmes::Programme>>,
    expected: detection::ExpectedCache,
    /// The confirmation page's waiting figures, per service.
    waiting_figures: referrals::WaitingFiguresCache,
    passwords: credentials::Passwords,
    /// Commits reads' audit events together (`read_audit`).
    read_audit: read_audit::ReadAudit,
}

impl App {
    /// The clock every use case reads.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub fn settings(&self) -> &AppSettings {
        &self.settings
    }

    /// The crisis contacts every page shows.
    pub fn crisis(&self) -> &CrisisContacts {
        &self.crisis
    }

    /// The instruments in use: the shipped defaults with any deployment overrides.
    pub fn catalogue(&self) -> &bothy_domain::instruments::load::Catalogue {
        &self.catalogue
    }

    /// The database, for the operations commands (backup, restore, audit
    /// verify, synthetic data, benchmarks) and for tests. Request handlers
    /// and the worker use the use cases only (the layering test in
    /// `bothy/tests/layering.rs` keeps it so).
    pub fn store(&self) -> &Store {
        &self.store
    }
}

impl App {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        settings: AppSettings,
        crisis: CrisisContacts,
    ) -> Self {
        let throttle = throttle::SignInThrottle::new(&settings, clock.clone());
        let referral_throttle = throttle::ReferralThrottle::new(clock.clone());
        let anonymous_sessions = throttle::AnonymousSessions::new(clock.clone());
        let catalogue = content::default_catalogue();
        let builtin_programmes = programmes::builtin(&catalogue);
        let passwords = credentials::Passwords::new(settings.password_hash_workers);
        let read_audit = read_audit::ReadAudit::new(store.clone());
        Self {
            read_audit,
            store,
            clock,
            settings,
            crisis,
            catalogue,
            notifier: Arc::new(notify::MemoryOutbox::new()),
            service_monitoring: monitoring::MonitoringSettings::default(),
            throttle,
            referral_throttle,
            anonymous_sessions,
            programmes: builtin_programmes,
            expected: detection::ExpectedCache::default(),
            waiting_figures: Default::default(),
            passwords,
        }
    }

    /// Uses a deployment's instruments (checked with `content::load_catalogue`).
    pub fn with_catalogue(mut self, catalogue: bothy_domain::instruments::load::Catalogue) -> Self {
        self.catalogue = catalogue;
        self
    }

    /// Uses a deployment's programmes (`programmes::load_programmes`).
    pub fn with_programmes(mut self, programmes: Vec<bothy_domain::programmes::Programme>) -> Self {
        self.programmes = Arc::new(programmes);
        self
    }

    /// The self-help library.
    pub fn library(&self) -> programmes::Library<'_> {
        programmes::Library { app: self }
    }

    /// Every programme in effect, for staff.
    pub fn programmes(&self) -> programmes::Programmes<'_> {
        programmes::Programmes { app: self }
    }

    /// Uses a deployment's monitoring settings (`monitoring::load_monitoring`).
    pub fn with_monitoring(mut self, monitoring: monitoring::MonitoringSettings) -> Self {
        self.service_monitoring = monitoring;
        self
    }

    pub fn alerts(&self) -> alerts::Alerts<'_> {
        alerts::Alerts { app: self }
    }

    pub fn sessions(&self) -> sessions::Sessions<'_> {
        sessions::Sessions { app: self }
    }

    /// Whether the database answers, for readiness and error pages.
    pub async fn database_ready(&self) -> Result<(), AppError> {
        Ok(self.store.ping().await?)
    }

    /// The database connection pool: (connections open, of which idle).
    pub fn pool_size(&self) -> (u32, usize) {
        self.store.pool_size()
    }

    pub fn check_ins(&self) -> check_ins::CheckIns<'_> {
        check_ins::CheckIns { app: self }
    }

    pub fn enrolments(&self) -> enrolments::Enrolments<'_> {
        enrolments::Enrolments { app: self }
    }

    pub fn tools(&self) -> tools::Tools<'_> {
        tools::Tools { app: self }
    }

    pub fn sms(&self) -> sms::Sms<'_> {
        sms::Sms { app: self }
    }

    pub fn messages(&self) -> messages::Messages<'_> {
        messages::Messages { app: self }
    }

    pub fn peer(&self) -> peer::Peer<'_> {
        peer::Peer { app: self }
    }

    pub fn appointments(&self) -> appointments::Appointments<'_> {
        appointments::Appointments { app: self }
    }

    /// This deployment's sign-in page, where messages send people.
    pub(crate) fn sign_in_url(&self) -> String {
        format!("{}/sign-in", self.settings.public_url.trim_end_matches('/'))
    }

    pub fn reviews(&self) -> reviews::Reviews<'_> {
        reviews::Reviews { app: self }
    }

    pub fn safety_plans(&self) -> safety_plans::SafetyPlans<'_> {
        safety_plans::SafetyPlans { app: self }
    }

    pub fn records(&self) -> records::Records<'_> {
        records::Records { app: self }
    }

    pub fn measures(&self) -> measures::Measures<'_> {
        measures::Measures { app: self }
    }

    pub fn admin(&self) -> admin::Admin<'_> {
        admin::Admin { app: self }
    }

    pub fn accounts(&self) -> signin::Accounts<'_> {
        signin::Accounts { app: self }
    }

    pub fn triage(&self) -> triage::Triage<'_> {
        triage::Triage { app: self }
    }

    pub fn episodes(&self) -> episodes::Episodes<'_> {
        episodes::Episodes { app: self }
    }

    pub fn activation(&self) -> activation::Activation<'_> {
        activation::Activation { app: self }
    }

    pub fn referrals(&self) -> referrals::Referrals<'_> {
        referrals::Referrals { app: self }
    }

    pub fn monitoring(&self) -> monitoring::Monitor<'_> {
        monitoring::Monitor { app: self }
    }

    pub fn jobs(&self) -> jobs::Jobs<'_> {
        jobs::Jobs { app: self }
    }

    pub fn reports(&self) -> outcomes::Reports<'_> {
        outcomes::Reports { app: self }
    }

    pub fn bulk_exports(&self) -> bulk_export::BulkExports<'_> {
        bulk_export::BulkExports { app: self }
    }

    pub fn smart(&self) -> smart::Smart<'_> {
        smart::Smart { app: self }
    }

    pub fn demo(&self) -> demo::Demo<'_> {
        demo::Demo { app: self }
    }

    /// Writes an audit event for `actor` into `tx`.
    pub(crate) async fn audit(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        ctx: &RequestContext,
        event: AuditEvent<'_>,
    ) -> Result<(), AppError> {
        // The digest this transaction's write of the record left: none if
        // nothing was written (a repeat answered as the first).
        let digest = event
            .record
            .as_ref()
            .and_then(|(kind, id)| tx.take_record_digest(*kind, id));
        tx.audit(&self.audit_record(actor, ctx, event, digest))
            .await?;
        Ok(())
    }

    /// What an audit event records: who acted, when, for which request.
    pub(crate) fn audit_record(
        &self,
        actor: &Actor,
        ctx: &RequestContext,
        event: AuditEvent<'_>,
        digest: Option<bothy_domain::audit::RecordDigest>,
    ) -> AuditRecord {
        let (kind, id, role, service) = match actor {
            Actor::Anonymous => (ActorKind::Anonymous, None, None, None),
            Actor::System => (ActorKind::System, None, None, None),
            Actor::StaffPending { id } => (ActorKind::Staff, Some(id.to_string()), None, None),
            Actor::Staff(s) => (
                ActorKind::Staff,
                Some(s.id.to_string()),
                s.main_role().map(|r| r.as_str().to_string()),
                Some(s.service_id.to_string()),
            ),
            Actor::Patient(p) => (
                ActorKind::Patient,
                Some(p.id.to_string()),
                None,
                Some(p.service_id.to_string()),
            ),
            Actor::Api(a) => (
                ActorKind::ApiClient,
                Some(a.id.to_string()),
                None,
                Some(a.service_id.to_string()),
            ),
        };
        AuditRecord {
            at_ms: to_millis(self.clock.now()),
            actor_kind: kind.as_str().to_string(),
            actor_id: event.actor_id.map(str::to_string).or(id),
            role,
            service_id: event.service_id.map(|s| s.to_string()).or(service),
            patient_id: event.patient_id.map(|p| p.to_string()),
            action: event.action.as_str().to_string(),
            purpose: event.action.purpose().as_str().to_string(),
            request_id: ctx.request_id.clone(),
            detail: event.detail,
            record: digest,
        }
    }
}

/// What an audit event says beyond who and when.
pub(crate) struct AuditEvent<'a> {
    /// What happened; its purpose comes with it.
    pub action: Action,
    pub patient_id: Option<bothy_domain::PatientId>,
    pub service_id: Option<bothy_domain::ServiceId>,
    /// Overrides the actor id (e.g. the account a failed sign-in named).
    pub actor_id: Option<&'a str>,
    pub detail: Option<String>,
    /// The clinical record this event wrote, whose digest it carries.
    pub record: Option<(bothy_domain::audit::digest::RecordKind, String)>,
}

impl<'a> AuditEvent<'a> {
    pub fn new(action: Action) -> Self {
        Self {
            action,
            patient_id: None,
            service_id: None,
            actor_id: None,
            detail: None,
            record: None,
        }
    }
    pub fn patient(mut self, id: bothy_domain::PatientId) -> Self {
        self.patient_id = Some(id);
        self
    }
    pub fn service(mut self, id: bothy_domain::ServiceId) -> Self {
        self.service_id = Some(id);
        self
    }
    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }
    /// Names the clinical record this event wrote (the write must come
    /// first, in the same transaction), so the event holds its digest.
    pub fn record(
        mut self,
        kind: bothy_domain::audit::digest::RecordKind,
        id: impl std::fmt::Display,
    ) -> Self {
        self.record = Some((kind, id.to_string()));
        self
    }
}
