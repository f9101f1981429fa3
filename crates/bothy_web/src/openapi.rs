//! The OpenAPI 3.1 description of the JSON API (`/api`) and the FHIR
//! endpoints (`/fhir`), served at `GET /api/openapi.json`.
//!
//! Built from the code, so that it cannot quietly drift from it:
//! - each handler's `#[utoipa::path]` (beside the handler) gives its path,
//!   parameters, body and the answers the handler itself gives;
//! - [`FromRouteTable`] adds what the edge decides before any handler runs,
//!   from the access the route table declares: the bearer token and the
//!   permission an operation needs, and the 401, 403 and 503 that come with
//!   them;
//! - `/api` bodies are the Rust types the handlers serialise; FHIR
//!   resources are built as JSON by `bothy_fhir`, so they are described as
//!   objects naming their `resourceType` and the fields Bothy always writes
//!   (`tests/fhir/validate.py` checks them against FHIR R4 itself).
//!
//! The integration test `openapi` checks that every `/api` and `/fhir` route
//! in the table is described here with its method, and `tests/api` runs
//! schemathesis against the served document as each kind of API client.

use crate::api::{self, PatientJson, ReportsSummary};
use crate::error::{ApiError, ApiErrorDetail, ApiFieldError};
use crate::notify_callbacks::{self, DeliveryReceipt, ReceivedText};
use crate::{
    fhir, fhir_bulk, fhir_referral, fhir_referral_search, fhir_search, fhir_versions, smart,
};
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use bothy_app::policy::Access;
use bothy_domain::role::ApiPermission;
use std::borrow::Cow;
use std::sync::OnceLock;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Bothy API",
        description = "The JSON API and the FHIR R4 endpoints of a Bothy deployment, for other \
                       systems. Each client holds a bearer token issued by a service \
                       administrator (`bothy admin create-api-client`) with named permissions; \
                       it sees only its own service.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    paths(
        openapi_json,
        api::patient_json,
        api::reports_summary,
        api::fhir_metadata,
        api::fhir_patient,
        fhir::questionnaire_search,
        fhir::questionnaire_read,
        fhir::response_create,
        fhir_search::response_search,
        fhir_search::observation_search,
        fhir_search::patient_search,
        fhir::response_read,
        fhir::observation_read,
        fhir_referral::service_request_create,
        fhir_referral::service_request_read,
        fhir_versions::questionnaire_vread,
        fhir_versions::response_vread,
        fhir_versions::observation_vread,
        fhir_versions::code_system_search,
        fhir_versions::code_system_read,
        fhir_versions::code_system_vread,
        fhir_referral_search::service_request_search,
        fhir_bulk::system_export,
        fhir_bulk::patient_export,
        fhir_bulk::group_read,
        fhir_bulk::group_export,
        fhir_bulk::export_status,
        fhir_bulk::export_cancel,
        fhir_bulk::export_file,
        smart::token,
        smart::smart_configuration,
        notify_callbacks::status,
        notify_callbacks::inbound_sms,
    ),
    components(schemas(
        PatientJson,
        ReportsSummary,
        ApiError,
        ApiErrorDetail,
        ApiFieldError,
        OpenApiDocument,
        SortByAuthored,
        Patient,
        OperationOutcome,
        CapabilityStatement,
        Bundle,
        Questionnaire,
        QuestionnaireResponse,
        Observation,
        ServiceRequest,
        CodeSystem,
        Group,
        BulkManifest,
        TokenResponse,
        TokenForm,
        OAuthError,
        SmartConfiguration,
        DeliveryReceipt,
        ReceivedText,
    )),
    modifiers(&FromRouteTable),
    tags(
        (name = "api", description = "Bothy's own JSON"),
        (name = "fhir", description = "FHIR R4 (4.0.1) resources, as `application/fhir+json`"),
    )
)]
struct ApiDoc;

/// The document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(ApiDoc::openapi)
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "api",
    responses((status = 200, description = "This OpenAPI document", body = OpenApiDocument))
)]
pub async fn openapi_json() -> Response {
    static JSON: OnceLock<String> = OnceLock::new();
    let body = JSON.get_or_init(|| document().to_json().unwrap_or_default());
    let mut res = body.clone().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// Adds what the route table declares: who may call each operation, and
/// the refusals the edge gives before the handler runs.
struct FromRouteTable;

impl Modify for FromRouteTable {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(
                            "An API client's token, shown once by `bothy admin create-api-client`",
                        ))
                        .build(),
                ),
            );
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "notify_callback",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(
                            "The callback token a service set in GOV.UK Notify \
                             (`notify.services.SHORTNAME.callback_token`)",
                        ))
                        .build(),
                ),
            );
        for spec in crate::routes::route_specs() {
            // Every FHIR interaction answers in JSON only (`fhir::formats`).
            if let Some(op) = doc
                .paths
                .paths
                .get_mut(spec.path)
                .and_then(|item| operation(item, &spec.method))
                .filter(|_| spec.path.starts_with("/fhir/"))
                .filter(|_| spec.path != crate::smart::TOKEN_PATH)
            {
                op.responses
                    .responses
                    .entry("406".into())
                    .or_insert_with(|| {
                        error_response(
                            true,
                            "A format other than JSON was asked for (`_format` or `Accept`)",
                        )
                    });
            }
            let needs: Vec<ApiPermission> = match spec.access {
                Access::Api(p) => vec![p],
                Access::ApiAny(ps) => ps.to_vec(),
                _ => continue,
            };
            let Some(op) = doc
                .paths
                .paths
                .get_mut(spec.path)
                .and_then(|item| operation(item, &spec.method))
            else {
                continue; // Undocumented: the `openapi` test names it.
            };
            let names: Vec<String> = needs.iter().map(|p| format!("`{}`", p.as_str())).collect();
            let rule = format!("Needs an API client holding {}.", names.join(" or "));
            op.description = Some(match op.description.take() {
                Some(d) => format!("{d}\n\n{rule}"),
                None => rule,
            });
            op.security = Some(vec![SecurityRequirement::new(
                "bearer",
                Vec::<String>::new(),
            )]);
            let fhir = spec.path.starts_with("/fhir");
            let refusals = [
                ("401", "No valid bearer token (`WWW-Authenticate: Bearer`)"),
                ("403", "The client does not hold the permission this needs"),
                ("503", "The database is unavailable; try again later"),
            ];
            for (status, description) in refusals {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| error_response(fhir, description));
            }
        }
    }
}

fn operation<'a>(
    item: &'a mut utoipa::openapi::PathItem,
    method: &Method,
) -> Option<&'a mut Operation> {
    match *method {
        Method::GET => item.get.as_mut(),
        Method::POST => item.post.as_mut(),
        Method::PUT => item.put.as_mut(),
        Method::DELETE => item.delete.as_mut(),
        Method::PATCH => item.patch.as_mut(),
        _ => None,
    }
}

/// An error as the error renderer draws it: an OperationOutcome under
/// `/fhir`, [`ApiError`] under `/api`.
fn error_response(fhir: bool, description: &str) -> RefOr<utoipa::openapi::Response> {
    let (content_type, schema) = if fhir {
        ("application/fhir+json", "OperationOutcome")
    } else {
        ("application/json", "ApiError")
    };
    ResponseBuilder::new()
        .description(description)
        .content(
            content_type,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(schema)))
                .build(),
        )
        .build()
        .into()
}

// ---------------------------------------------------------------------------
// Schemas of what `bothy_fhir` writes as JSON.

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn object() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Object)
}

fn array(items: impl Into<utoipa::openapi::schema::ArrayItems>) -> ArrayBuilder {
    ArrayBuilder::new().items(items)
}

/// A FHIR resource: `resourceType` is `name`, `required` are always
/// written, other fields are FHIR's own and may appear.
fn resource(name: &str, description: &str, props: ObjectBuilder, required: &[&str]) -> Schema {
    let mut o = props
        .description(Some(description))
        .property("resourceType", string().enum_values(Some([name])))
        .required("resourceType")
        .property("id", string());
    for r in required {
        o = o.required(*r);
    }
    o.into()
}

fn reference() -> ObjectBuilder {
    object().property("reference", string())
}

macro_rules! fhir_schema {
    ($ty:ident, $name:literal, $body:expr) => {
        pub struct $ty;
        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                RefOr::T($body)
            }
        }
        impl ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    };
}

fhir_schema!(
    Patient,
    "Patient",
    resource(
        "Patient",
        "A FHIR R4 Patient: what the record holds, with its NHS number or CHI \
         (`bothy_fhir::patient_identified`)",
        object()
            .property("identifier", array(object()))
            .property("name", array(object()))
            .property("birthDate", string())
            .property("telecom", array(object())),
        &["id", "name", "birthDate"],
    )
);

fhir_schema!(
    OperationOutcome,
    "OperationOutcome",
    resource(
        "OperationOutcome",
        "Why a request failed: the first issue says what went wrong, the others where",
        object().property(
            "issue",
            array(
                object()
                    .property("severity", string().enum_values(Some(["error"])))
                    .property("code", string())
                    .property("diagnostics", string())
                    .property("expression", array(string()))
                    .required("severity")
                    .required("code")
                    .required("diagnostics"),
            )
            .min_items(Some(1)),
        ),
        &["issue"],
    )
);

fhir_schema!(
    CapabilityStatement,
    "CapabilityStatement",
    resource(
        "CapabilityStatement",
        "What this FHIR server supports",
        object()
            .property("status", string())
            .property("kind", string())
            .property("fhirVersion", string().enum_values(Some(["4.0.1"])))
            .property("format", array(string()))
            .property("rest", array(object())),
        &["status", "kind", "fhirVersion", "format", "rest"],
    )
);

fhir_schema!(
    Bundle,
    "Bundle",
    resource(
        "Bundle",
        "A searchset: this page in `entry`, the `self` and `next` links, and \
         `total` matches when asked for (`_total=accurate`) or cheap to count (a \
         search naming one patient)",
        object()
            .property("type", string().enum_values(Some(["searchset"])))
            .property(
                "total",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0)),
            )
            .property(
                "link",
                array(
                    object()
                        .property("relation", string())
                        .property("url", string())
                        .required("relation")
                        .required("url"),
                ),
            )
            .property(
                "entry",
                array(
                    object()
                        .property("fullUrl", string())
                        .property(
                            "resource",
                            object()
                                .property("resourceType", string())
                                .required("resourceType"),
                        )
                        .property("search", object())
                        .required("fullUrl")
                        .required("resource"),
                ),
            ),
        &["type", "link"],
    )
);

fhir_schema!(
    Questionnaire,
    "Questionnaire",
    resource(
        "Questionnaire",
        "An instrument from the catalogue, with its items",
        object()
            .property("url", string())
            .property("version", string())
            .property("status", string())
            .property("item", array(object())),
        &["id", "url", "version", "status", "item"],
    )
);

fhir_schema!(
    QuestionnaireResponse,
    "QuestionnaireResponse",
    resource(
        "QuestionnaireResponse",
        "A completed measure. `identifier.value` is the client's key for it: the same \
         key with the same answers is the same response",
        object()
            .property("identifier", object().property("value", string()))
            .property("questionnaire", string())
            .property("status", string())
            .property("subject", reference())
            .property("authored", string())
            .property("item", array(object())),
        &["identifier", "questionnaire", "status", "subject"],
    )
);

fhir_schema!(
    Observation,
    "Observation",
    resource(
        "Observation",
        "The total score of a stored response",
        object()
            .property("status", string())
            .property("code", object())
            .property("subject", reference()),
        &["id", "status", "code", "subject"],
    )
);

fhir_schema!(
    ServiceRequest,
    "ServiceRequest",
    resource(
        "ServiceRequest",
        "A referral. `identifier[0].value` is the client's key for it; the subject is an \
         existing patient or a contained Patient. What the sender sent (identifier, \
         authoredOn, priority, reasons, notes, requester identifiers) comes back as sent",
        object()
            .property("identifier", array(object().property("value", string())))
            .property("status", string())
            .property("intent", string())
            .property("subject", reference())
            .property("priority", string())
            .property("authoredOn", string())
            .property("requester", reference())
            .property("reasonCode", array(object()))
            .property("reasonReference", array(reference()))
            .property("note", array(object()))
            .property("contained", array(object())),
        &["id", "status", "intent", "subject"],
    )
);

fhir_schema!(
    CodeSystem,
    "CodeSystem",
    resource(
        "CodeSystem",
        "One of Bothy's code systems (`bothy_fhir::codes`): its canonical `url` starts \
         https://bothy.health/fhir whatever the deployment's address",
        object()
            .property("url", string())
            .property("status", string())
            .property("content", string())
            .property("concept", array(object())),
        &["id", "url", "status", "content", "concept"],
    )
);

/// The order of a search's results: `authored` (oldest first) or
/// `-authored` (newest first). Only described: the handler reads the text.
#[derive(serde::Serialize, ToSchema)]
#[allow(dead_code)] // Never built; the variants are the document's enum.
pub enum SortByAuthored {
    #[serde(rename = "authored")]
    OldestFirst,
    #[serde(rename = "-authored")]
    NewestFirst,
}

fhir_schema!(
    OpenApiDocument,
    "OpenApiDocument",
    object()
        .description(Some("An OpenAPI 3.1 document"))
        .property("openapi", string())
        .property("info", object())
        .property("paths", object())
        .property("components", object())
        .required("openapi")
        .required("info")
        .required("paths")
        .into()
);

fhir_schema!(
    Group,
    "Group",
    resource(
        "Group",
        "The patients of the client's service, whose id is the service's short name",
        object()
            .property("type", string().enum_values(Some(["person"])))
            .property("actual", ObjectBuilder::new().schema_type(Type::Boolean))
            .property("name", string()),
        &["id", "type", "actual"],
    )
);

fn integer() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Integer)
}

fhir_schema!(
    BulkManifest,
    "BulkManifest",
    object()
        .description(Some(
            "A complete bulk export (Bulk Data Access IG 2.0): its files, each of one type"
        ))
        .property("transactionTime", string())
        .property("request", string())
        .property(
            "requiresAccessToken",
            ObjectBuilder::new().schema_type(Type::Boolean)
        )
        .property(
            "output",
            array(
                object()
                    .property("type", string())
                    .property("url", string())
                    .property("count", integer().minimum(Some(0)))
                    .required("type")
                    .required("url"),
            )
        )
        .property("error", array(object()))
        .required("transactionTime")
        .required("request")
        .required("requiresAccessToken")
        .required("output")
        .required("error")
        .into()
);

fhir_schema!(
    TokenResponse,
    "TokenResponse",
    object()
        .description(Some(
            "An access token for the FHIR API (SMART Backend Services)"
        ))
        .property("access_token", string())
        .property("token_type", string().enum_values(Some(["bearer"])))
        .property("expires_in", integer().minimum(Some(1)))
        .property("scope", string())
        .required("access_token")
        .required("token_type")
        .required("expires_in")
        .required("scope")
        .into()
);

fhir_schema!(
    TokenForm,
    "TokenForm",
    object()
        .description(Some(
            "SMART Backend Services' token request (RFC 6749 4.4 with an RFC 7523 client assertion)"
        ))
        .property("grant_type", string().enum_values(Some(["client_credentials"])))
        .property(
            "client_assertion_type",
            string().enum_values(Some(["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"])),
        )
        .property("client_assertion", string().description(Some(
            "A JWT signed RS384 or ES384 with a key registered for the client (its kid in the header): \
             iss and sub the client's id, aud this endpoint's URL, exp at most five minutes ahead, a jti used once"
        )))
        .property("scope", string().description(Some("system/ scopes, such as system/*.read")))
        .required("grant_type")
        .required("client_assertion_type")
        .required("client_assertion")
        .required("scope")
        .into()
);

fhir_schema!(
    OAuthError,
    "OAuthError",
    object()
        .description(Some(
            "Why a token request was refused (RFC 6749, section 5.2)"
        ))
        .property(
            "error",
            string().enum_values(Some([
                "invalid_request",
                "invalid_client",
                "invalid_scope",
                "unsupported_grant_type",
            ])),
        )
        .property("error_description", string())
        .required("error")
        .into()
);

fhir_schema!(
    SmartConfiguration,
    "SmartConfiguration",
    object()
        .description(Some(
            "SMART's discovery document: the token endpoint and what it takes"
        ))
        .property("token_endpoint", string())
        .property("grant_types_supported", array(string()))
        .property("token_endpoint_auth_methods_supported", array(string()))
        .property(
            "token_endpoint_auth_signing_alg_values_supported",
            array(string())
        )
        .property("scopes_supported", array(string()))
        .property("capabilities", array(string()))
        .required("token_endpoint")
        .into()
);
