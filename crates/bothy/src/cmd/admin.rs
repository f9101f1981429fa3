//! `bothy admin`: setting up services, staff and API clients from a shell.

use anyhow::anyhow;
use bothy::Config;
use bothy::cli::AdminCommand;
use bothy_app::{AppError, RequestContext, SystemClock};
use std::process::ExitCode;
use std::sync::Arc;

pub async fn run(config: &Config, command: AdminCommand) -> anyhow::Result<ExitCode> {
    let app = bothy::build_app(config, Arc::new(SystemClock)).await?;
    let ctx = RequestContext::default();
    let result = match command {
        AdminCommand::CreateService { slug, name } => app.admin().create_service(&slug, &name, &ctx).await.map(|s| {
            println!("Created service {:?} with short name {}.", s.name, s.slug.as_str());
            println!("Service id: {}", s.id);
        }),
        AdminCommand::SetServiceAreas { service, areas } => match app.admin().service_by_slug(&service).await {
            Ok(service) => app.admin().set_service_areas(service.id, &areas, &ctx).await.map(|areas| {
                println!("{} now covers: {}", service.slug.as_str(), areas.join(" "));
            }),
            Err(e) => Err(e),
        },
        AdminCommand::CreateStaff { service, email, name, roles } => match app.admin().service_by_slug(&service).await {
            Ok(service) => app.admin().create_staff(service.id, &email, &name, &roles, &ctx).await.map(|staff| {
                let hours = config.security.enrolment_link_hours;
                println!("Created staff member {} in {}.", staff.id, service.slug.as_str());
                println!("Send them this enrolment link privately. It works once, within {hours} hours:");
                println!();
                println!("  {}", staff.enrolment_link);
            }),
            Err(e) => Err(e),
        },
        AdminCommand::CreateApiClient { service, name, permissions } => match app.admin().service_by_slug(&service).await {
            Ok(service) => app.admin().register_api_client(service.id, &name, &permissions, &ctx).await.map(|client| {
                println!("Registered API client {} for {}.", client.id, service.slug.as_str());
                println!("Its token is below. It is shown only this once and cannot be recovered;");
                println!("store it in the client system's secret store now.");
                println!();
                println!("  {}", client.token);
            }),
            Err(e) => Err(e),
        },
        AdminCommand::AddApiClientKey { client, jwk } => {
            let text = std::fs::read_to_string(&jwk).map_err(|e| anyhow!("cannot read {}: {e}", jwk.display()))?;
            app.smart().add_key(client, &text, &ctx).await.map(|kids| {
                println!("Registered key {} for API client {client}.", kids.join(", "));
                println!("It may now sign assertions for access tokens at {}.", app.smart().token_url());
            })
        }
        AdminCommand::RevokeApiClient { id } => app.admin().revoke_api_client(id, &ctx).await.map(|()| {
            println!("Revoked API client {id}. Its token no longer works.");
        }),
        AdminCommand::NewActivationLink { patient } => app.activation().new_link(patient, &ctx).await.map(|()| {
            println!("A new activation link is on its way to {patient}, by the channel their referral chose.");
            println!("Earlier links no longer work. The worker sends it (bothy serve or bothy worker).");
        }),
        AdminCommand::DisableStaff { email } => app.admin().disable_staff(&email, &ctx).await.map(|id| {
            println!("Disabled staff member {id}. They cannot sign in, and their sessions have ended.");
        }),
        AdminCommand::ImportDeprivation { edition, file } => match std::fs::File::open(&file) {
            Ok(f) => {
                use std::io::BufRead;
                let lines = std::io::BufReader::new(f).lines();
                app.reports().import_deprivation(edition, lines, &ctx).await.map(|n| {
                    println!("Imported {} ({n} postcodes). Reports now take deprivation from it.", edition.index_name());
                })
            }
            Err(e) => Err(AppError::field("file", format!("could not be opened: {e}"))),
        },
    };
    app.store().close().await;
    result.map(|()| ExitCode::SUCCESS).map_err(explain)
}

/// Turns a use-case error into a message that names the flag at fault.
fn explain(e: AppError) -> anyhow::Error {
    match e {
        AppError::Invalid(fields) => {
            let lines: Vec<String> = fields
                .iter()
                .map(|f| format!("  {}: {}", flag(&f.field), f.message))
                .collect();
            anyhow!("the command was not accepted:\n{}", lines.join("\n"))
        }
        AppError::NotFound => anyhow!("not found: check the id"),
        other => anyhow::Error::new(other),
    }
}

fn flag(field: &str) -> String {
    match field {
        "roles" => "--role".into(),
        "permissions" => "--permission".into(),
        other => format!("--{}", other.replace('_', "-")),
    }
}
