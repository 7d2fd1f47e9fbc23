//! The in-memory registry: keys by full path (root names normalised to `HKLM`, `HKCU`, `HKU`,
//! `HKCR`, `HKCC`), looked up case-insensitively as Windows does, values typed, every key and
//! value remembering the artifact (and line) it came from. `.reg` exports and hives of one host
//! are merged into one [`Registry`]; later artifacts override earlier ones.
//!
//! `HKLM\SYSTEM\CurrentControlSet` is resolved to `ControlSet00N` (from `HKLM\SYSTEM\Select`
//! `Current`) when a path under it is not present literally (hives store the numbered set,
//! `reg export` prints `CurrentControlSet`).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use super::RegData;

/// Most keys one registry holds; beyond it keys are not added (and the caller reports it).
pub const MAX_KEYS: usize = 2_000_000;

/// Where a key or value came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Origin {
    /// Artifact path inside the input.
    pub artifact: Arc<str>,
    /// 1-based line in a `.reg` file; `None` for hives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

/// One value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegValue {
    /// Name as written; empty for the default value (`@`).
    pub name: String,
    /// Type and data.
    pub data: RegData,
    /// Where it came from.
    pub origin: Origin,
}

/// One key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegKey {
    /// Full path with the short root name, as first written (e.g.
    /// `HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server`).
    pub path: String,
    /// Values in the order they were written.
    pub values: Vec<RegValue>,
    /// Where the key was (last) defined.
    pub origin: Origin,
}

impl RegKey {
    /// The last path component.
    pub fn name(&self) -> &str {
        self.path.rsplit('\\').next().unwrap_or(&self.path)
    }

    /// A value by name, case-insensitively (`""` is the default value).
    pub fn value(&self, name: &str) -> Option<&RegValue> {
        self.values.iter().find(|v| v.name.eq_ignore_ascii_case(name))
    }
}

/// Normalises a key path: trims, removes leading/trailing/doubled backslashes, maps the root
/// (`HKEY_LOCAL_MACHINE`, `\Registry\Machine` → `HKLM`, ...). `None` for an empty path or an
/// unknown root.
pub fn normalize_path(path: &str) -> Option<String> {
    // Trailing blanks are cut before empty parts are dropped, so that normalising twice gives
    // the same path (a name of blanks alone would otherwise leave an empty part behind).
    let parts: Vec<&str> = path
        .trim()
        .split('\\')
        .map(str::trim_end)
        .filter(|p| !p.is_empty())
        .collect();
    let (first, rest) = parts.split_first()?;
    let (root, rest): (&str, &[&str]) = match first.to_ascii_uppercase().as_str() {
        "HKEY_LOCAL_MACHINE" | "HKLM" => ("HKLM", rest),
        "HKEY_CURRENT_USER" | "HKCU" => ("HKCU", rest),
        "HKEY_USERS" | "HKU" => ("HKU", rest),
        "HKEY_CLASSES_ROOT" | "HKCR" => ("HKCR", rest),
        "HKEY_CURRENT_CONFIG" | "HKCC" => ("HKCC", rest),
        "REGISTRY" => match rest.split_first() {
            Some((m, r)) if m.eq_ignore_ascii_case("MACHINE") => ("HKLM", r),
            Some((u, r)) if u.eq_ignore_ascii_case("USER") => ("HKU", r),
            _ => return None,
        },
        _ => return None,
    };
    let mut out = String::from(root);
    for p in rest {
        out.push('\\');
        out.push_str(p);
    }
    Some(out)
}

fn fold(path: &str) -> String {
    path.to_lowercase()
}

/// A host's registry, merged from its artifacts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Registry {
    keys: BTreeMap<String, RegKey>,
    /// Keys not added because of [`MAX_KEYS`].
    pub keys_dropped: u64,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// No keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// All keys in path order.
    pub fn keys(&self) -> impl Iterator<Item = &RegKey> {
        self.keys.values()
    }

    /// Creates `path` (and its ancestors) if missing; returns whether it exists afterwards.
    /// `path` must be normalised.
    pub fn ensure_key(&mut self, path: &str, origin: &Origin) -> bool {
        let folded = fold(path);
        if let Some(k) = self.keys.get_mut(&folded) {
            k.origin = origin.clone();
            return true;
        }
        // Ancestors first, so that subkey listing finds them.
        let mut prefix = String::new();
        for (i, part) in path.split('\\').enumerate() {
            if i > 0 {
                prefix.push('\\');
            }
            prefix.push_str(part);
            let f = fold(&prefix);
            if !self.keys.contains_key(&f) {
                if self.keys.len() >= MAX_KEYS {
                    self.keys_dropped += 1;
                    return false;
                }
                self.keys.insert(
                    f,
                    RegKey {
                        path: prefix.clone(),
                        values: Vec::new(),
                        origin: origin.clone(),
                    },
                );
            }
        }
        true
    }

    /// Sets a value (replacing one of the same name) under `path` (normalised), creating the key.
    pub fn set_value(&mut self, path: &str, name: &str, data: RegData, origin: &Origin) {
        if !self.ensure_key(path, origin) {
            return;
        }
        if let Some(k) = self.keys.get_mut(&fold(path)) {
            let v = RegValue {
                name: name.to_string(),
                data,
                origin: origin.clone(),
            };
            match k.values.iter_mut().find(|x| x.name.eq_ignore_ascii_case(name)) {
                Some(old) => *old = v,
                None => k.values.push(v),
            }
        }
    }

    /// Deletes a value (`"name"=-`).
    pub fn delete_value(&mut self, path: &str, name: &str) {
        if let Some(k) = self.keys.get_mut(&fold(path)) {
            k.values.retain(|v| !v.name.eq_ignore_ascii_case(name));
        }
    }

    /// Deletes a key and its whole subtree (`[-KEY]`).
    pub fn delete_key(&mut self, path: &str) {
        let folded = fold(path);
        let sub = format!("{folded}\\");
        let doomed: Vec<String> = self
            .keys
            .range(folded.clone()..)
            .take_while(|(k, _)| **k == folded || k.starts_with(&sub))
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            self.keys.remove(&k);
        }
    }

    /// `ControlSet00N` that `CurrentControlSet` stands for, from `HKLM\SYSTEM\Select\Current`.
    pub fn current_control_set(&self) -> Option<String> {
        let select = self.keys.get("hklm\\system\\select")?;
        let n = select.value("Current")?.data.as_u32()?;
        Some(format!("ControlSet{n:03}"))
    }

    fn resolve(&self, path: &str) -> Option<&RegKey> {
        let norm = normalize_path(path)?;
        if let Some(k) = self.keys.get(&fold(&norm)) {
            return Some(k);
        }
        let lower = fold(&norm);
        let ccs = "hklm\\system\\currentcontrolset";
        if lower == ccs || lower.starts_with("hklm\\system\\currentcontrolset\\") {
            let set = self.current_control_set()?;
            let rest = &norm[ccs.len()..];
            return self.keys.get(&fold(&format!("HKLM\\SYSTEM\\{set}{rest}")));
        }
        None
    }

    /// A key by path (any root spelling, any case).
    pub fn key(&self, path: &str) -> Option<&RegKey> {
        self.resolve(path)
    }

    /// A value by key path and value name.
    pub fn value(&self, path: &str, name: &str) -> Option<&RegValue> {
        self.resolve(path)?.value(name)
    }

    /// The direct subkeys of `path`, in path order.
    pub fn subkeys(&self, path: &str) -> Vec<&RegKey> {
        let Some(parent) = self.resolve(path) else {
            return Vec::new();
        };
        let folded = fold(&parent.path);
        let prefix = format!("{folded}\\");
        self.keys
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| !k[prefix.len()..].contains('\\'))
            .map(|(_, v)| v)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o() -> Origin {
        Origin {
            artifact: Arc::from("t.reg"),
            line: None,
        }
    }

    #[test]
    fn paths_and_lookup() {
        assert_eq!(
            normalize_path(r"HKEY_LOCAL_MACHINE\SYSTEM\\X\").as_deref(),
            Some(r"HKLM\SYSTEM\X")
        );
        assert_eq!(
            normalize_path(r"\Registry\Machine\SOFTWARE").as_deref(),
            Some(r"HKLM\SOFTWARE")
        );
        assert_eq!(normalize_path("FOO\\x"), None);
        let mut r = Registry::new();
        r.set_value(r"HKLM\SYSTEM\Select", "Current", RegData::Dword(2), &o());
        r.set_value(
            r"HKLM\SYSTEM\ControlSet002\Control\X",
            "v",
            RegData::Dword(7),
            &o(),
        );
        r.set_value(
            r"HKLM\SYSTEM\ControlSet002\Control\X\Sub",
            "w",
            RegData::Dword(8),
            &o(),
        );
        assert_eq!(
            r.value(r"hkey_local_machine\system\currentcontrolset\control\x", "V")
                .and_then(|v| v.data.as_u32()),
            Some(7)
        );
        assert_eq!(r.subkeys(r"HKLM\SYSTEM\CurrentControlSet\Control\X").len(), 1);
        r.delete_key(r"HKLM\SYSTEM\ControlSet002\Control\X");
        assert!(r.key(r"HKLM\SYSTEM\ControlSet002\Control\X\Sub").is_none());
        assert!(r.key(r"HKLM\SYSTEM\ControlSet002\Control").is_some());
    }
}
