//! Mutations of JSON documents: a valid resource with a few of its nodes
//! replaced, removed, copied elsewhere or with text spliced in, so that the
//! readers see inputs that get past the first check.

use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::{Value, json};

/// Values a reader has to think about in any position.
fn odd_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        select(vec![
            Value::Null,
            json!(true),
            json!(0),
            json!(-1),
            json!(1.5),
            json!(1e308),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(""),
            json!("x"),
            json!("completed"),
            json!("active"),
            json!("order"),
            json!("#p1"),
            json!("#nope"),
            json!("Patient/not-a-uuid"),
            json!("Patient/2f0c7bde-3a43-4a8a-9d5b-8d3b9b1c2e11"),
            json!("http://loinc.org"),
            json!("http://snomed.info/sct"),
            json!("2026-02-30"),
            json!("9999-12-31"),
            json!([]),
            json!({}),
            json!([{}]),
            json!({ "reference": "#p1" }),
            json!({ "resourceType": "Patient", "id": "p1" }),
            json!({ "url": "http://hl7.org/fhir/StructureDefinition/ordinalValue", "valueDecimal": 1e300 }),
        ]),
        any::<String>().prop_map(Value::String),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
    ]
}

/// One change to a document; nodes are numbered in pre-order.
#[derive(Debug, Clone)]
pub enum Change {
    Replace(Index, Value),
    /// Put a copy of one node in place of another.
    Copy(Index, Index),
    /// Remove one child of an object or array.
    Remove(Index, Index),
    /// Append a copy of a child to an array.
    Repeat(Index, Index),
    /// Splice a character into a string.
    Splice(Index, Index, char),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        3 => (any::<Index>(), odd_value()).prop_map(|(a, v)| Change::Replace(a, v)),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Change::Copy(a, b)),
        3 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Change::Remove(a, b)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Change::Repeat(a, b)),
        2 => (any::<Index>(), any::<Index>(), any::<char>()).prop_map(|(a, b, c)| Change::Splice(a, b, c)),
    ]
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count).sum(),
        Value::Object(o) => o.values().map(count).sum(),
        _ => 0,
    }
}

/// The `n`th node in pre-order.
fn node(v: &mut Value, n: usize) -> Option<&mut Value> {
    if n == 0 {
        return Some(v);
    }
    let mut n = n - 1;
    let children: Vec<&mut Value> = match v {
        Value::Array(a) => a.iter_mut().collect(),
        Value::Object(o) => o.values_mut().collect(),
        _ => return None,
    };
    for c in children {
        let size = count(c);
        if n < size {
            return node(c, n);
        }
        n -= size;
    }
    None
}

pub fn apply(doc: &mut Value, c: &Change) {
    let n = count(doc);
    match c {
        Change::Replace(at, v) => *node(doc, at.index(n)).unwrap() = v.clone(),
        Change::Copy(from, to) => {
            let v = node(doc, from.index(n)).unwrap().clone();
            *node(doc, to.index(n)).unwrap() = v;
        }
        Change::Remove(at, k) => match node(doc, at.index(n)).unwrap() {
            Value::Array(a) if !a.is_empty() => {
                a.remove(k.index(a.len()));
            }
            Value::Object(o) if !o.is_empty() => {
                let key = o.keys().nth(k.index(o.len())).unwrap().clone();
                o.remove(&key);
            }
            _ => {}
        },
        Change::Repeat(at, k) => {
            if let Value::Array(a) = node(doc, at.index(n)).unwrap()
                && !a.is_empty()
            {
                a.push(a[k.index(a.len())].clone());
            }
        }
        Change::Splice(at, k, ch) => {
            if let Value::String(s) = node(doc, at.index(n)).unwrap() {
                let cuts: Vec<usize> = s.char_indices().map(|(b, _)| b).chain([s.len()]).collect();
                s.insert(cuts[k.index(cuts.len())], *ch);
            }
        }
    }
}

/// `seed` with one to six changes; now and then any JSON at all.
pub fn mutated(seed: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
    let leaf = odd_value();
    let any_json = leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-zA-Z]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    prop_oneof![
        8 => (seed, proptest::collection::vec(change(), 1..6)).prop_map(|(mut doc, cs)| {
            for c in &cs {
                apply(&mut doc, c);
            }
            doc
        }),
        1 => any_json,
    ]
}
