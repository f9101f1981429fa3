//! The reader of a ServiceRequest: its issues, its contained resources,
//! and the checks of the request itself.

use super::*;

pub(super) struct Contained<'a> {
    pub(super) value: &'a Value,
    pub(super) obj: &'a Map<String, Value>,
    pub(super) resource_type: &'a str,
    pub(super) id: &'a str,
    pub(super) path: String,
    pub(super) used: bool,
}

pub(super) struct Reader<'a> {
    pub(super) base: &'a str,
    pub(super) today: Date,
    pub(super) now: Timestamp,
    pub(super) issues: Vec<Issue>,
    pub(super) contained: Vec<Contained<'a>>,
}

/// Why free text cannot be kept (control, invisible or unassigned characters).
pub(super) fn unusable(s: &str) -> Option<bothy_domain::text::Unusable> {
    bothy_domain::text::check(s, bothy_domain::text::Lines::Many).err()
}

pub(super) fn str_of<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v str> {
    obj.get(key).and_then(Value::as_str)
}

/// A HumanName as one string: its text, or prefixes, given names and family.
pub(super) fn human_name(n: &Map<String, Value>) -> Option<String> {
    if let Some(t) = str_of(n, "text").filter(|t| !t.trim().is_empty()) {
        return Some(t.trim().to_string());
    }
    let list = |key: &str| -> Vec<String> {
        n.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut parts = list("prefix");
    parts.extend(list("given"));
    parts.extend(str_of(n, "family").map(str::to_string));
    let joined = parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!joined.is_empty()).then_some(joined)
}

/// A reference relative to this server: `{base}/Patient/1` becomes `Patient/1`.
pub(super) fn relative<'r>(reference: &'r str, base: &str) -> &'r str {
    reference
        .strip_prefix(base)
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or(reference)
}

impl<'a> Reader<'a> {
    pub(super) fn push(&mut self, expression: impl Into<String>, message: impl Into<String>) {
        self.issues.push(Issue {
            expression: expression.into(),
            message: message.into(),
        });
    }

    /// The array at `key`, or nothing (with an issue if it is not an array).
    pub(super) fn array(
        &mut self,
        obj: &'a Map<String, Value>,
        key: &str,
        path: &str,
    ) -> &'a [Value] {
        match obj.get(key) {
            None => &[],
            Some(Value::Array(a)) => a,
            Some(_) => {
                self.push(format!("{path}.{key}"), format!("{key} must be an array"));
                &[]
            }
        }
    }

    /// The object at `path`, or an issue.
    pub(super) fn object(
        &mut self,
        v: &'a Value,
        path: &str,
        what: &str,
    ) -> Option<&'a Map<String, Value>> {
        let o = v.as_object();
        if o.is_none() {
            self.push(path, format!("{what} must be a JSON object"));
        }
        o
    }

    /// Optional free text, trimmed and bounded.
    pub(super) fn text(&mut self, path: &str, s: &str, max: usize, what: &str) -> Option<String> {
        let t = s.trim();
        if t.is_empty() {
            return None;
        }
        if t.chars().count() > max {
            self.push(path, format!("{what} must be {max} characters or fewer"));
            return None;
        }
        if let Some(e) = unusable(t) {
            self.push(path, e.message(what, bothy_domain::text::Lines::Many));
            return None;
        }
        Some(t.to_string())
    }

    pub(super) fn modifier_extension(&mut self, obj: &Map<String, Value>, path: &str) {
        if obj.contains_key("modifierExtension") {
            self.push(
                format!("{path}.modifierExtension"),
                "This server does not understand modifier extensions, and a modifier extension \
                 that is not understood changes the meaning of a resource: the request cannot be \
                 taken with it",
            );
        }
    }

    pub(super) fn index_contained(&mut self, obj: &'a Map<String, Value>) {
        for (i, c) in self.array(obj, "contained", SR).iter().enumerate() {
            let path = format!("{SR}.contained[{i}]");
            let Some(m) = self.object(c, &path, "Each contained resource") else {
                continue;
            };
            let Some(resource_type) = str_of(m, "resourceType") else {
                self.push(format!("{path}.resourceType"), "resourceType is missing");
                continue;
            };
            let Some(id) = str_of(m, "id").filter(|id| !id.is_empty()) else {
                self.push(
                    format!("{path}.id"),
                    "id is missing: a contained resource needs an id for a reference (\"#id\") to \
                     point at",
                );
                continue;
            };
            if let Some(first) = self.contained.iter().find(|x| x.id == id) {
                let message = format!("id {id:?} is used twice: also by {}", first.path);
                self.push(format!("{path}.id"), message);
                continue;
            }
            self.contained.push(Contained {
                value: c,
                obj: m,
                resource_type,
                id,
                path,
                used: false,
            });
        }
    }

    /// The contained resource a local reference ("#id") names, if it is one
    /// of `types`: its path and content. Marks it used.
    pub(super) fn resolve(
        &mut self,
        reference: &str,
        path: &str,
        types: &[&str],
    ) -> Option<(String, &'a Value, &'a Map<String, Value>)> {
        let id = reference.strip_prefix('#').unwrap_or(reference);
        let Some(c) = self.contained.iter_mut().find(|c| c.id == id) else {
            self.push(
                path,
                format!(
                    "{reference} names no contained resource: contained resources here have ids {}",
                    {
                        let ids: Vec<String> = self
                            .contained
                            .iter()
                            .map(|c| format!("{:?}", c.id))
                            .collect();
                        if ids.is_empty() {
                            "(none)".to_string()
                        } else {
                            ids.join(", ")
                        }
                    }
                ),
            );
            return None;
        };
        c.used = true;
        let (found, value, obj, at) = (c.resource_type, c.value, c.obj, c.path.clone());
        if !types.contains(&found) {
            self.push(
                path,
                format!(
                    "{reference} is a {found}, but must be a {}",
                    types.join(" or ")
                ),
            );
            return None;
        }
        self.modifier_extension(obj, &at);
        Some((at, value, obj))
    }

    pub(super) fn identifier(
        &mut self,
        obj: &Map<String, Value>,
        sent: &mut AsSent,
    ) -> Option<String> {
        let path = format!("{SR}.identifier");
        let missing = "identifier is missing: give the referral a unique identifier \
                       (identifier[0].value), so that sending it twice creates one referral";
        match obj.get("identifier") {
            None => {
                self.push(path, missing);
                None
            }
            Some(Value::Array(a)) if a.is_empty() => {
                self.push(path, missing);
                None
            }
            Some(Value::Array(a)) => {
                let value_path = format!("{path}[0].value");
                match a[0].get("value") {
                    Some(Value::String(s)) if s.trim().is_empty() => {
                        self.push(value_path, "identifier[0].value must not be blank");
                        None
                    }
                    Some(Value::String(s)) if s.trim().chars().count() > MAX_IDENTIFIER_LEN => {
                        self.push(
                            value_path,
                            format!(
                                "identifier[0].value must be at most {MAX_IDENTIFIER_LEN} characters"
                            ),
                        );
                        None
                    }
                    Some(Value::String(s)) => {
                        let system = match a[0].get("system") {
                            None => None,
                            Some(Value::String(sys))
                                if !sys.is_empty()
                                    && sys.len() <= 200
                                    && !sys.contains(char::is_whitespace) =>
                            {
                                Some(sys.clone())
                            }
                            Some(_) => {
                                self.push(
                                    format!("{path}[0].system"),
                                    "identifier[0].system must be a URI",
                                );
                                None
                            }
                        };
                        sent.identifier = Identifier {
                            system,
                            value: s.clone(),
                        };
                        Some(s.trim().to_string())
                    }
                    Some(_) => {
                        self.push(value_path, "identifier[0].value must be a string");
                        None
                    }
                    None => {
                        self.push(value_path, missing);
                        None
                    }
                }
            }
            Some(_) => {
                self.push(
                    path,
                    "identifier must be an array of Identifiers in a ServiceRequest",
                );
                None
            }
        }
    }

    /// `authoredOn`, kept as written: a FHIR date or date-time (with its
    /// zone), not in the future beyond a small skew.
    pub(super) fn authored_on(&mut self, obj: &Map<String, Value>, sent: &mut AsSent) {
        let at = format!("{SR}.authoredOn");
        match obj.get("authoredOn") {
            None => {}
            Some(Value::String(s)) => match crate::search::value_range(s) {
                Ok((start, _)) => {
                    let limit = self
                        .now
                        .checked_add(jiff::SignedDuration::from_mins(AUTHORED_SKEW_MINUTES))
                        .unwrap_or(self.now);
                    if start > limit {
                        self.push(
                            at,
                            format!(
                                "authoredOn {s} is in the future: a referral is written before \
                                 it is sent (check the sending system's clock)"
                            ),
                        );
                    } else {
                        sent.authored_on = Some(s.clone());
                    }
                }
                Err(m) => self.push(at, format!("authoredOn: {m}")),
            },
            Some(_) => self.push(at, "authoredOn must be a date or date-time string"),
        }
    }

    pub(super) fn status_and_intent(&mut self, obj: &Map<String, Value>, sent: &mut AsSent) {
        match obj.get("status") {
            Some(Value::String(s)) if s == "active" => {}
            Some(Value::String(s)) => self.push(
                format!("{SR}.status"),
                format!(
                    "status must be \"active\": a referral is sent for this service to act on, \
                     and one that is {s:?} cannot be"
                ),
            ),
            Some(_) => self.push(format!("{SR}.status"), "status must be a string"),
            None => self.push(
                format!("{SR}.status"),
                "status is missing: it must be \"active\"",
            ),
        }
        match obj.get("intent") {
            Some(Value::String(s)) if s == "order" || s == "original-order" => {}
            Some(Value::String(s)) => self.push(
                format!("{SR}.intent"),
                format!(
                    "intent must be \"order\": a referral asks this service to act, which a \
                     request with intent {s:?} does not"
                ),
            ),
            Some(_) => self.push(format!("{SR}.intent"), "intent must be a string"),
            None => self.push(
                format!("{SR}.intent"),
                "intent is missing: it must be \"order\"",
            ),
        }
        match obj.get("priority") {
            None => {}
            Some(Value::String(p)) => match Priority::parse(p) {
                Some(p) => sent.priority = Some(p),
                None => self.push(
                    format!("{SR}.priority"),
                    format!(
                        "priority {p:?} is not a FHIR request priority: routine, urgent, asap or stat"
                    ),
                ),
            },
            Some(_) => self.push(format!("{SR}.priority"), "priority must be a string"),
        }
        match obj.get("doNotPerform") {
            None | Some(Value::Bool(false)) => {}
            Some(Value::Bool(true)) => self.push(
                format!("{SR}.doNotPerform"),
                "doNotPerform is true, which asks for the service not to be given: a referral \
                 cannot say that",
            ),
            Some(_) => self.push(
                format!("{SR}.doNotPerform"),
                "doNotPerform must be true or false",
            ),
        }
    }

    pub(super) fn unreferenced(&mut self) {
        let unused: Vec<(String, String)> = self
            .contained
            .iter()
            .filter(|c| !c.used)
            .map(|c| (c.path.clone(), c.id.to_string()))
            .collect();
        for (path, id) in unused {
            self.push(
                path,
                format!(
                    "The contained resource {id:?} is not referenced from the ServiceRequest (as \
                     \"#{id}\"), so it would be ignored: reference it (FHIR rule dom-3), or leave \
                     it out"
                ),
            );
        }
    }
}
