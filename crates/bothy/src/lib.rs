//! The Bothy binary's library half: configuration, the command line and the
//! wiring that turns a configuration into a running [`App`]. No logic of its own.

pub mod cli;
pub mod config;
pub mod logging;
pub mod test_index;

pub use config::Config;

use anyhow::Context;
use bothy_app::notify::{ByChannel, ByService, FileOutbox, Notifier};
use bothy_app::{App, Clock};
use bothy_store::Store;
use std::sync::Arc;

/// Connects to the configured database, creating `server.data_dir` first when
/// the database is the default SQLite file in it. Does not migrate.
pub async fn connect_store(config: &Config) -> anyhow::Result<Store> {
    if config.uses_default_database() {
        let dir = &config.server.data_dir;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("server.data_dir: cannot create {}", dir.display()))?;
    }
    let url = config.database_url();
    Store::connect(&url, &config.pool_settings())
        .await
        .with_context(|| {
            format!(
                "cannot connect to the database at {}",
                config::redact_url(&url)
            )
        })
}

/// Where messages are written: email unless `[email] transport = "smtp"`,
/// text messages unless `[sms] transport = "kannel"`.
pub fn outbox_dir(config: &Config) -> std::path::PathBuf {
    config.server.data_dir.join("outbox")
}

/// Connects, migrates, loads the crisis contacts and builds the application,
/// sending email as `[email]` says and text messages as `[sms]` says.
pub async fn build_app(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<App>> {
    let crisis = config.crisis_contacts()?;
    let (catalogue, monitoring) = load_content(config)?;
    let programmes = load_programmes(config, &catalogue)?;
    let store = connect_store(config).await?;
    store
        .migrate()
        .await
        .context("cannot migrate the database")?;
    let outbox: Arc<dyn Notifier> = Arc::new(FileOutbox::new(outbox_dir(config)));
    let email: Arc<dyn Notifier> = match config.email.smtp() {
        Some(settings) => Arc::new(
            bothy_jobs::smtp::SmtpNotifier::new(&settings)
                .map_err(|e| anyhow::anyhow!("email: {e}"))?,
        ),
        None => outbox.clone(),
    };
    let sms: Arc<dyn Notifier> = match config.sms.kannel(&config.public_url()) {
        Some(settings) => Arc::new(
            bothy_jobs::kannel::KannelNotifier::new(settings)
                .map_err(|e| anyhow::anyhow!("sms: {e}"))?,
        ),
        None => outbox,
    };
    let notifier = ByChannel {
        email: email.clone(),
        sms: sms.clone(),
    };
    let app = App::new(store, clock.clone(), config.app_settings(), crisis)
        .with_catalogue(catalogue)
        .with_programmes(programmes)
        .with_monitoring(monitoring)
        .with_notifier(Arc::new(notifier));
    let app = route_by_notify(app, config, clock, email, sms).await?;
    if let Some(c) = app
        .monitoring()
        .backfill_summaries()
        .await
        .context("cannot fill the summaries of existing records")?
    {
        tracing::info!(
            score_summaries = c.score_summaries,
            screening_baselines = c.screening_baselines,
            mood_summaries = c.mood_summaries,
            "summaries filled for existing records"
        );
    }
    Ok(Arc::new(app))
}

/// Sends the messages of the services listed in `[notify]` by GOV.UK Notify
/// (the channels it has a template for), and every other as before. A short
/// name that names no service is skipped with a warning here, so that the
/// administration commands can create it; `serve` and `worker` refuse to
/// start with one ([`check_notify_services`]).
async fn route_by_notify(
    app: App,
    config: &Config,
    clock: Arc<dyn Clock>,
    email: Arc<dyn Notifier>,
    sms: Arc<dyn Notifier>,
) -> anyhow::Result<App> {
    let listed = config.notify.settings()?;
    if listed.is_empty() {
        return Ok(app);
    }
    let mut services = std::collections::HashMap::new();
    for (slug, settings) in listed {
        let Ok(service) = service_named(&app, &slug).await else {
            tracing::warn!(service = %slug, "notify.services names no service; its messages cannot go by GOV.UK Notify");
            continue;
        };
        let by_notify = |template: &Option<String>| template.is_some();
        let (notify_email, notify_sms) = (
            by_notify(&settings.email_template_id),
            by_notify(&settings.sms_template_id),
        );
        let notify: Arc<dyn Notifier> = Arc::new(
            bothy_jobs::notify_gov::NotifyNotifier::new(settings, clock.clone())
                .map_err(|e| anyhow::anyhow!("configuration: notify.services.{slug}: {e}"))?,
        );
        let routed = ByChannel {
            email: if notify_email {
                notify.clone()
            } else {
                email.clone()
            },
            sms: if notify_sms { notify } else { sms.clone() },
        };
        tracing::info!(service = %slug, email = notify_email, sms = notify_sms, "messages go by GOV.UK Notify");
        services.insert(service, Arc::new(routed) as Arc<dyn Notifier>);
    }
    let default = Arc::new(ByChannel { email, sms });
    Ok(app.with_notifier(Arc::new(ByService { services, default })))
}

async fn service_named(app: &App, slug: &str) -> anyhow::Result<bothy_domain::ServiceId> {
    app.admin()
        .service_by_slug(slug)
        .await
        .map(|s| s.id)
        .map_err(|e| anyhow::anyhow!("configuration: notify.services.{slug}: {e}"))
}

/// Stops start-up when `[notify]` names a service that does not exist.
pub async fn check_notify_services(config: &Config, app: &App) -> anyhow::Result<()> {
    for slug in config.notify.services.keys() {
        service_named(app, slug).await?;
    }
    Ok(())
}

/// The Notify callback token of each listed service that has one, by the
/// service's id, for the web edge (`bothy_web::WebSettings`).
pub async fn notify_callbacks(
    config: &Config,
    app: &App,
) -> anyhow::Result<Vec<(bothy_domain::ServiceId, String)>> {
    let mut tokens = Vec::new();
    for (slug, token) in config.notify.callback_tokens() {
        tokens.push((service_named(app, &slug).await?, token));
    }
    Ok(tokens)
}

/// The instruments and monitoring settings in effect: the built-in ones with
/// the deployment's files. Any problem stops start-up, listing every one
/// with its file and field.
pub fn load_content(
    config: &Config,
) -> anyhow::Result<(
    bothy_domain::instruments::Catalogue,
    bothy_app::monitoring::MonitoringSettings,
)> {
    let listed = |errors: Vec<bothy_domain::instruments::ContentError>| {
        let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
        lines.join("\n")
    };
    let catalogue =
        bothy_app::content::load_catalogue(config.content.instruments_dir.as_deref())
            .map_err(|e| anyhow::anyhow!("the instrument files have problems:\n{}", listed(e)))?;
    let monitoring = bothy_app::monitoring::load_monitoring(
        config.content.monitoring_dir.as_deref(),
        &catalogue,
    )
    .map_err(|e| anyhow::anyhow!("the monitoring settings have problems:\n{}", listed(e)))?;
    Ok((catalogue, monitoring))
}

/// The programmes in effect: the shipped ones with the deployment's
/// folders. Any problem stops start-up, naming its file and line.
pub fn load_programmes(
    config: &Config,
    catalogue: &bothy_domain::instruments::Catalogue,
) -> anyhow::Result<Vec<bothy_domain::programmes::Programme>> {
    let (programmes, problems) =
        bothy_app::programmes::load_programmes(config.content.programmes_dir.as_deref(), catalogue);
    if problems.is_empty() {
        return Ok(programmes);
    }
    let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
    anyhow::bail!(
        "the programme files have problems (run `bothy content check`):\n{}",
        lines.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use bothy_app::{FakeClock, RequestContext};
    use config::Overrides;

    #[tokio::test]
    async fn builds_a_working_app_in_a_new_data_dir() {
        let dir = std::env::temp_dir().join(format!("bothy-build-app-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let data_dir = dir.join("nested dir?#");
        let overrides = Overrides {
            data_dir: Some(data_dir.clone()),
            ..Overrides::default()
        };
        let mut config = Config::from_figment(Config::figment(None, &overrides).unwrap()).unwrap();
        config.database.url = None; // In case DATABASE_URL is set where the tests run.
        let clock = FakeClock::at("2026-03-02T10:00:00Z".parse().unwrap());
        let app = build_app(&config, Arc::new(clock)).await.unwrap();
        assert!(data_dir.join("bothy.db").is_file());
        let service = app
            .admin()
            .create_service("pilot", "Pilot service", &RequestContext::default())
            .await
            .unwrap();
        assert_eq!(
            app.admin().service_by_slug("pilot").await.unwrap().id,
            service.id
        );
        let report = app.store().verify_audit(&[]).await.unwrap();
        assert_eq!((report.sealed, report.unsealed), (0, 1));
        bothy_jobs::seal_audit(&app).await.unwrap();
        let report = app.store().verify_audit(&[]).await.unwrap();
        assert_eq!((report.sealed, report.unsealed), (1, 0));
        assert!(report.is_intact());
        app.store().close().await;
        // A second start on the same database migrates nothing and still works.
        let app = build_app(
            &config,
            Arc::new(FakeClock::at("2026-03-02T10:00:00Z".parse().unwrap())),
        )
        .await
        .unwrap();
        assert!(app.admin().service_by_slug("pilot").await.is_ok());
        app.store().close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_service_listed_for_notify_sends_by_it_and_others_as_before() {
        use bothy_app::jobs::{
            IdempotencyKey, Job, JobError, MessageTemplate, Notification, Recipient,
        };
        let dir = std::env::temp_dir().join(format!("bothy-notify-app-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let overrides = Overrides {
            data_dir: Some(dir.clone()),
            ..Overrides::default()
        };
        let mut config = Config::from_figment(Config::figment(None, &overrides).unwrap()).unwrap();
        config.database.url = None;
        // Notify at a port nobody listens on: a send to it fails as unreachable.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        config.notify.services.insert(
            "pilot".into(),
            config::NotifyServiceConfig {
                api_key: config::Secret(
                    "live-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"
                        .into(),
                ),
                sms_template_id: Some("f33517ff-2a88-4f6e-b855-c550268ce08a".into()),
                email_template_id: None,
                sms_sender_id: None,
                email_reply_to_id: None,
                callback_token: Some(config::Secret("pilot-callback-token".into())),
                base_url: Some(format!("http://127.0.0.1:{closed}")),
            },
        );
        config.validate().unwrap();
        let clock = || Arc::new(FakeClock::at("2026-03-02T10:00:00Z".parse().unwrap()));
        // The service does not exist yet: the administration commands still
        // work, serve and worker refuse to start.
        let app = build_app(&config, clock()).await.unwrap();
        let err = check_notify_services(&config, &app).await.unwrap_err();
        assert!(err.to_string().contains("notify.services.pilot"), "{err}");
        let pilot = app
            .admin()
            .create_service("pilot", "Pilot service", &RequestContext::default())
            .await
            .unwrap();
        app.store().close().await;
        let app = build_app(&config, clock()).await.unwrap();
        check_notify_services(&config, &app).await.unwrap();
        assert_eq!(
            notify_callbacks(&config, &app).await.unwrap(),
            [(pilot.id, "pilot-callback-token".to_string())]
        );
        let send = |to: Recipient, service| {
            Job::Notify(Notification {
                to,
                template: MessageTemplate::ReferralReceived,
                link: None,
                service,
                patient: None,
                appointment: None,
            })
        };
        let sms = Recipient::Sms(bothy_domain::person::PhoneNumber::parse("07700 900123").unwrap());
        let email = Recipient::Email(bothy_domain::person::Email::parse("a@example.org").unwrap());
        let key = |k: &str| IdempotencyKey::new(k).unwrap();
        // The pilot's texts go by Notify; its email and everyone else's texts as before.
        assert_eq!(
            app.jobs()
                .perform(&key("n.1"), &send(sms.clone(), Some(pilot.id)))
                .await,
            Err(JobError::Retry("GOV.UK Notify could not be reached".into()))
        );
        app.jobs()
            .perform(&key("n.2"), &send(email, Some(pilot.id)))
            .await
            .unwrap();
        app.jobs()
            .perform(&key("n.3"), &send(sms.clone(), None))
            .await
            .unwrap();
        assert!(dir.join("outbox/n.2.json").is_file());
        assert!(dir.join("outbox/n.3.json").is_file());
        assert!(!dir.join("outbox/n.1.json").exists());
        app.store().close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn messages_go_to_the_outbox_in_the_data_dir() {
        use bothy_app::jobs::{IdempotencyKey, Job, MessageTemplate, Notification, Recipient};
        let dir = std::env::temp_dir().join(format!("bothy-outbox-app-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let overrides = Overrides {
            data_dir: Some(dir.clone()),
            ..Overrides::default()
        };
        let mut config = Config::from_figment(Config::figment(None, &overrides).unwrap()).unwrap();
        config.database.url = None;
        let clock = FakeClock::at("2026-03-02T10:00:00Z".parse().unwrap());
        let app = build_app(&config, Arc::new(clock)).await.unwrap();
        let job = Job::Notify(Notification {
            to: Recipient::Email(bothy_domain::person::Email::parse("a@example.org").unwrap()),
            template: MessageTemplate::ReferralReceived,
            link: None,
            service: None,
            patient: None,
            appointment: None,
        });
        let key = IdempotencyKey::new("received.1").unwrap();
        app.jobs().perform(&key, &job).await.unwrap();
        assert_eq!(outbox_dir(&config), dir.join("outbox"));
        assert!(dir.join("outbox/received.1.json").is_file());
        app.store().close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
