use super::*;
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use std::path::Path;
use std::time::Duration;

fn from_toml(text: &str) -> Result<Config, ConfigError> {
    Config::from_figment(
        Figment::from(Serialized::defaults(Config::default())).merge(Toml::string(text)),
    )
}

#[test]
fn printed_default_file_is_exactly_the_defaults() {
    // Parsed on its own, with no defaults underneath: every setting must be in the file.
    let parsed: Config = Figment::from(Toml::string(DEFAULT_TOML))
        .extract()
        .expect("default file parses");
    assert_eq!(parsed, Config::default());
    Config::default().validate().expect("defaults are valid");
}

#[test]
fn built_in_crisis_contacts_parse() {
    let contacts = Config::default()
        .crisis_contacts()
        .expect("built-in contacts");
    assert!(!contacts.contacts.is_empty());
}

#[test]
fn derived_values() {
    let c = Config::default();
    assert_eq!(c.public_url(), "http://127.0.0.1:8080");
    assert!(!c.secure_cookies());
    assert_eq!(c.database_url(), "sqlite:./data/bothy.db");
    let c = from_toml("[server]\nlisten='[::1]:9000'\ndata_dir='/srv/bothy data'\npublic_url='https://bothy.example.org/'").unwrap();
    assert_eq!(c.public_url(), "https://bothy.example.org");
    assert!(c.secure_cookies());
    assert_eq!(c.database_url(), "sqlite:///srv/bothy data/bothy.db");
    let c = from_toml("[server]\nlisten='[::1]:9000'\ndata_dir='../a?b#c%d'").unwrap();
    assert_eq!(c.public_url(), "http://[::1]:9000");
    assert_eq!(c.database_url(), "sqlite:../a%3Fb%23c%25d/bothy.db");
}

#[test]
fn file_overrides_defaults_and_flags_override_file() {
    let path = std::env::temp_dir().join(format!("bothy-config-test-{}.toml", std::process::id()));
    std::fs::write(&path, "[server]\nlisten='0.0.0.0:80'\ndata_dir='/x'\n[log]\nformat='json'\n[database]\nmax_connections=2\n")
        .unwrap();
    let overrides = Overrides {
        listen: Some("127.0.0.1:9999".parse().unwrap()),
        ..Overrides::default()
    };
    let loaded = Config::load(Some(&path), &overrides);
    let _ = std::fs::remove_file(&path);
    let c = loaded.unwrap();
    assert_eq!(c.server.listen.port(), 9999);
    assert_eq!(c.server.data_dir, PathBuf::from("/x"));
    assert_eq!(c.log.format, LogFormat::Json);
    assert_eq!(c.database.max_connections, 2);
    assert_eq!(c.security, Config::default().security);
}

#[test]
fn command_line_flags_win() {
    let overrides = Overrides {
        listen: Some("127.0.0.1:9999".parse().unwrap()),
        data_dir: Some("/y".into()),
        database_url: Some("sqlite:/z.db".into()),
    };
    let c = Config::load(None, &overrides).unwrap();
    assert_eq!(c.server.listen.port(), 9999);
    assert_eq!(c.server.data_dir, PathBuf::from("/y"));
    assert_eq!(c.database_url(), "sqlite:/z.db");
}

#[test]
fn a_missing_explicit_file_is_an_error() {
    let err = Config::load(
        Some(Path::new("/no/such/bothy.toml")),
        &Overrides::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("--config"), "{err}");
}

#[test]
fn errors_name_the_field() {
    let cases = [
        ("[server]\nlisten='localhost'", "listen"),
        (
            "[server]\npublic_url='bothy.example.org'",
            "server.public_url",
        ),
        ("[server]\npublic_url='https://'", "server.public_url"),
        ("[server]\ndata_dir=''", "server.data_dir"),
        ("[database]\nurl='mysql://x'", "database.url"),
        ("[database]\nmax_connections=0", "database.max_connections"),
        ("[log]\nformat='xml'", "format"),
        ("[log]\nlevel='info,=='", "log.level"),
        (
            "[security]\nstaff_idle_minutes=0",
            "security.staff_idle_minutes",
        ),
        (
            "[security]\nenrolment_link_hours=100000",
            "security.enrolment_link_hours",
        ),
        (
            "[security]\nsign_in_attempts_per_ip=0",
            "security.sign_in_attempts_per_ip",
        ),
        (
            "[security]\npassword_hash_workers=0",
            "security.password_hash_workers",
        ),
        ("[security]\nmax_body_bytes=10", "security.max_body_bytes"),
        ("[server]\nmetrics_token='short'", "server.metrics_token"),
        ("[security]\nstaff_idle_minute=5", "staff_idle_minute"),
        ("[email]\ntransport='smtp'", "email.smtp_host"),
        (
            "[email]\ntransport='smtp'\nsmtp_host='mail'\nfrom='not an address'",
            "email.from",
        ),
        (
            "[email]\ntransport='smtp'\nsmtp_host='mail'\nfrom='a@example.org'\nsmtp_username='u'",
            "email.smtp_password",
        ),
        (
            "[email]\ntransport='smtp'\nsmtp_host='mail'\nfrom='a@example.org'\nsmtp_tls='none'\nsmtp_username='u'\nsmtp_password='p'",
            "email.smtp_tls",
        ),
        ("[email]\ntimeout_seconds=60", "email.timeout_seconds"),
        ("[email]\ntransport='pigeon'", "transport"),
    ];
    for (text, field) in cases {
        let err = from_toml(text).expect_err(text).to_string();
        assert!(err.contains(field), "{text:?} gave {err:?}");
    }
}

#[test]
fn a_bad_crisis_contacts_file_is_named() {
    let c = from_toml("[content]\ncrisis_contacts='/no/such/contacts.toml'").unwrap();
    let err = c.crisis_contacts().unwrap_err().to_string();
    assert!(
        err.contains("content.crisis_contacts") && err.contains("/no/such/contacts.toml"),
        "{err}"
    );
}

#[test]
fn settings_convert() {
    let c = from_toml(
        "[security]\nstaff_idle_minutes=20\nenrolment_link_hours=1\npassword_hash_workers=3\n\
         [database]\nmax_connections=3",
    )
    .unwrap();
    let app = c.app_settings();
    assert_eq!(app.staff_idle_timeout, Duration::from_secs(20 * 60));
    assert_eq!(app.staff_absolute_timeout, Duration::from_secs(12 * 3600));
    assert_eq!(app.patient_idle_timeout, Duration::from_secs(30 * 60));
    assert_eq!(app.enrolment_link_lifetime, Duration::from_secs(3600));
    assert_eq!(app.public_url, "http://127.0.0.1:8080");
    assert_eq!(
        (
            app.sign_in_attempts_per_account,
            app.sign_in_attempts_per_ip
        ),
        (5, 100)
    );
    assert_eq!(app.password_hash_workers, 3);
    assert_eq!(c.pool_settings().max_connections, 3);
}

#[test]
fn passwords_are_never_printed() {
    let cases = [
        (
            "postgres://bothy:s3cret@db:5432/bothy",
            "postgres://bothy:***@db:5432/bothy",
        ),
        (
            "postgres://bothy:s3@c/r?t@db/bothy?sslmode=require",
            "postgres://bothy:***@db/bothy?sslmode=require",
        ),
        (
            "postgresql://db/bothy?user=b&password=s3cret",
            "postgresql://db/bothy?user=b&password=***",
        ),
        ("postgres://bothy@db/bothy", "postgres://bothy@db/bothy"),
        ("sqlite:./data/bothy.db", "sqlite:./data/bothy.db"),
    ];
    for (url, shown) in cases {
        assert_eq!(redact_url(url), shown);
    }
    let c =
        from_toml("[database]\nurl='postgres://bothy:s3cret@db/bothy?password=s3cret'").unwrap();
    for text in [format!("{c:?}"), format!("{:?}", c.resolved_for_display())] {
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("postgres://bothy:***@db/bothy"), "{text}");
    }
    let err = from_toml("[database]\nurl = postgres://bothy:s3cret@db/bothy\n").unwrap_err();
    assert!(!err.to_string().contains("s3cret"), "{err}");
    assert!(
        err.to_string().contains("postgres://bothy:***@db/bothy"),
        "{err}"
    );
    assert_eq!(
        c.database_url(),
        "postgres://bothy:s3cret@db/bothy?password=s3cret"
    );
}

#[test]
fn the_smtp_password_is_never_printed() {
    let password = "smtp-password-not-for-logs";
    let c = from_toml(&format!(
        "[email]\ntransport='smtp'\nsmtp_host='mail.example.org'\nfrom='no-reply@example.org'\n\
         smtp_username='bothy'\nsmtp_password='{password}'"
    ))
    .unwrap();
    let smtp = c.email.smtp().unwrap();
    assert_eq!(smtp.credentials.as_ref().unwrap().1, password);
    let shown = toml::to_string(&c.resolved_for_display()).unwrap();
    for text in [format!("{c:?}"), format!("{smtp:?}"), shown] {
        assert!(!text.contains(password), "{text}");
    }
}

#[test]
fn the_metrics_token_is_never_printed() {
    let token = "0123456789abcdef0123456789abcdef-metrics";
    let c = from_toml(&format!("[server]\nmetrics_token='{token}'")).unwrap();
    assert_eq!(c.server.metrics_token.as_ref().unwrap().0, token);
    let shown = toml::to_string(&c.resolved_for_display()).unwrap();
    for text in [
        format!("{c:?}"),
        format!("{:?}", c.resolved_for_display()),
        shown,
    ] {
        assert!(!text.contains(token), "{text}");
    }
}

#[test]
fn trusted_proxies_are_addresses() {
    let c = from_toml("[server]\ntrusted_proxies=['127.0.0.1', '::1']").unwrap();
    assert_eq!(c.server.trusted_proxies.len(), 2);
    let err = from_toml("[server]\ntrusted_proxies=['proxy.internal']")
        .unwrap_err()
        .to_string();
    assert!(err.contains("trusted_proxies"), "{err}");
}

const NOTIFY_KEY: &str =
    "bothy_live-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0";
const SMS_TEMPLATE: &str = "f33517ff-2a88-4f6e-b855-c550268ce08a";

fn notify_toml(more: &str) -> String {
    format!(
        "[notify.services.talking-therapies]\napi_key='{NOTIFY_KEY}'\n\
         sms_template_id='{SMS_TEMPLATE}'\n{more}"
    )
}

#[test]
fn notify_services_are_read_by_short_name() {
    let c = from_toml(&notify_toml(
        "email_template_id='217a419e-6a7d-482a-9596-718b889dffce'\ncallback_token='callback-token-1'\nbase_url='http://127.0.0.1:4010'",
    ))
    .unwrap();
    let settings = c.notify.settings().unwrap();
    assert_eq!(settings.len(), 1);
    let (slug, s) = &settings[0];
    assert_eq!(slug, "talking-therapies");
    assert_eq!(
        s.api_key.service_id(),
        "26785a09-ab16-4eb0-8407-a37497a57506"
    );
    assert_eq!(s.sms_template_id.as_deref(), Some(SMS_TEMPLATE));
    assert_eq!(s.base_url, "http://127.0.0.1:4010");
    assert_eq!(s.timeout, Duration::from_secs(20));
    assert_eq!(
        c.notify.callback_tokens(),
        [("talking-therapies".to_string(), "callback-token-1".into())]
    );
    // Without a base URL, Notify's own.
    let c = from_toml(&notify_toml("")).unwrap();
    assert_eq!(
        c.notify.settings().unwrap()[0].1.base_url,
        "https://api.notifications.service.gov.uk"
    );
    assert!(Config::default().notify.services.is_empty());
}

#[test]
fn notify_mistakes_stop_start_up_naming_the_field() {
    let at = "notify.services.talking-therapies";
    let cases = [
        (
            notify_toml("").replace(NOTIFY_KEY, "not-a-key"),
            format!("{at}.api_key"),
        ),
        (
            notify_toml("").replace(NOTIFY_KEY, &NOTIFY_KEY["bothy_live-".len()..]),
            format!("{at}.api_key"),
        ),
        (
            notify_toml("").replace(SMS_TEMPLATE, "template-1"),
            format!("{at}.sms_template_id"),
        ),
        (
            notify_toml("").replace(&format!("sms_template_id='{SMS_TEMPLATE}'"), ""),
            format!("{at}.sms_template_id"),
        ),
        (
            notify_toml("email_reply_to_id='me@example.org'"),
            format!("{at}.email_reply_to_id"),
        ),
        (
            notify_toml("callback_token='short'"),
            format!("{at}.callback_token"),
        ),
        (
            notify_toml("base_url='http://notify.example.org'"),
            format!("{at}.base_url"),
        ),
        (
            notify_toml("").replace("talking-therapies", "Talking_Therapies"),
            "notify.services.Talking_Therapies".into(),
        ),
        (
            format!(
                "{}callback_token='the-same-token'\n[notify.services.other]\napi_key='{NOTIFY_KEY}'\n\
                 sms_template_id='{SMS_TEMPLATE}'\ncallback_token='the-same-token'\n",
                notify_toml("")
            ),
            "callback_token".into(),
        ),
        (
            "[notify]\ntimeout_seconds=0".into(),
            "notify.timeout_seconds".into(),
        ),
        (notify_toml("colour='red'"), "colour".into()),
    ];
    for (text, field) in cases {
        let err = from_toml(&text).expect_err(&text).to_string();
        assert!(err.contains(&field), "{text:?} gave {err:?}");
        // A key is never quoted back.
        assert!(!err.contains("3d844edf"), "{err}");
    }
}

#[test]
fn notify_keys_and_callback_tokens_are_never_printed() {
    let c = from_toml(&notify_toml("callback_token='callback-token-not-for-logs'")).unwrap();
    let shown = toml::to_string(&c.resolved_for_display()).unwrap();
    let settings = c.notify.settings().unwrap();
    for text in [format!("{c:?}"), format!("{settings:?}"), shown] {
        assert!(!text.contains("3d844edf"), "{text}");
        assert!(!text.contains("callback-token-not-for-logs"), "{text}");
    }
}
