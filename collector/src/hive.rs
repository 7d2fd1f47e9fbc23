//! A minimal read-only registry hive (`regf`) reader for `--from-volume`.
//!
//! The collector reads a handful of values from an offline SYSTEM / SOFTWARE hive (computer
//! name, OS version, time zone, whether the RDP listener is enabled) to fill the manifest and to
//! decide the role. That needs key lookup and small values only, so this reads the primary file
//! as it is (transaction logs are not replayed: a dirty hive may miss its last changes; the
//! logs are copied into the bundle for the analyzer). Every offset is bounds-checked: a damaged
//! hive gives `None`, never a panic. Layout: the `regf` base block (root cell offset at 0x24),
//! hive bins from 0x1000, `nk` keys, `lf`/`lh`/`li`/`ri` subkey lists, `vk` values.

/// Where hive bins start; cell offsets are relative to it.
const HBIN_START: usize = 0x1000;
/// Keys with this flag store their name as Latin-1, otherwise UTF-16LE.
const KEY_COMP_NAME: u16 = 0x0020;
/// Values with this flag store their name as Latin-1.
const VALUE_COMP_NAME: u16 = 0x0001;
/// Guard against cyclic or absurd subkey lists.
const MAX_LIST: usize = 1 << 16;

/// A hive held in memory.
#[derive(Debug, Clone, Copy)]
pub struct Hive<'a> {
    data: &'a [u8],
    root: u32,
}

/// A key of a [`Hive`].
#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    hive: Hive<'a>,
    cell: &'a [u8],
}

/// A value's data with its registry type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// REG_SZ / REG_EXPAND_SZ, cut at the first NUL.
    Str(String),
    /// REG_DWORD.
    Dword(u32),
    /// REG_QWORD.
    Qword(u64),
    /// Anything else: (type, bytes).
    Other(u32, Vec<u8>),
}

impl Value {
    /// The value as text, if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a number (DWORD, QWORD, or a decimal string as some keys store them).
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Dword(v) => Some(u64::from(*v)),
            Value::Qword(v) => Some(*v),
            Value::Str(s) => s.trim().parse().ok(),
            Value::Other(..) => None,
        }
    }
}

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(off..off + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

fn latin1(b: &[u8]) -> String {
    b.iter().map(|&c| c as char).collect()
}

fn utf16(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

impl<'a> Hive<'a> {
    /// Checks the base block; `None` when this is not a `regf` hive.
    pub fn new(data: &'a [u8]) -> Option<Hive<'a>> {
        if !data.starts_with(b"regf") || data.len() < HBIN_START + 32 {
            return None;
        }
        let root = u32_at(data, 0x24)?;
        let hive = Hive { data, root };
        hive.key_at(root)?;
        Some(hive)
    }

    /// Data of the cell at `offset` (without its size field).
    fn cell(&self, offset: u32) -> Option<&'a [u8]> {
        let start = HBIN_START.checked_add(usize::try_from(offset).ok()?)?;
        let size = i32::from_le_bytes(self.data.get(start..start + 4)?.try_into().ok()?);
        let len = usize::try_from(size.unsigned_abs()).ok()?;
        if len < 4 {
            return None;
        }
        self.data.get(start + 4..start + len)
    }

    fn key_at(&self, offset: u32) -> Option<Key<'a>> {
        let cell = self.cell(offset)?;
        if !cell.starts_with(b"nk") || cell.len() < 76 {
            return None;
        }
        Some(Key { hive: *self, cell })
    }

    /// The root key.
    pub fn root(&self) -> Option<Key<'a>> {
        self.key_at(self.root)
    }

    /// The key at a `\`-separated path below the root (case-insensitive), e.g.
    /// `ControlSet001\Control\ComputerName\ComputerName`.
    pub fn key(&self, path: &str) -> Option<Key<'a>> {
        let mut key = self.root()?;
        for part in path.split('\\').filter(|p| !p.is_empty()) {
            key = key.subkey(part)?;
        }
        Some(key)
    }

    /// Shortcut: the value `name` of the key at `path`.
    pub fn value(&self, path: &str, name: &str) -> Option<Value> {
        self.key(path)?.value(name)
    }
}

impl<'a> Key<'a> {
    /// The key's own name.
    pub fn name(&self) -> String {
        let flags = u16_at(self.cell, 2).unwrap_or(0);
        let len = usize::from(u16_at(self.cell, 72).unwrap_or(0));
        let raw = self.cell.get(76..76 + len).unwrap_or(&[]);
        if flags & KEY_COMP_NAME != 0 {
            latin1(raw)
        } else {
            utf16(raw)
        }
    }

    /// Offsets of the direct subkeys' cells.
    fn subkey_offsets(&self) -> Vec<u32> {
        let count = u32_at(self.cell, 20).unwrap_or(0);
        let list = u32_at(self.cell, 28).unwrap_or(u32::MAX);
        let mut out = Vec::new();
        if count > 0 && list != u32::MAX {
            self.collect_list(list, &mut out, 0);
        }
        out
    }

    fn collect_list(&self, offset: u32, out: &mut Vec<u32>, depth: u8) {
        let Some(cell) = self.hive.cell(offset) else {
            return;
        };
        let n = usize::from(u16_at(cell, 2).unwrap_or(0)).min(MAX_LIST);
        match cell.get(0..2) {
            Some(b"lf") | Some(b"lh") => {
                out.extend((0..n).filter_map(|i| u32_at(cell, 4 + i * 8)));
            }
            Some(b"li") => out.extend((0..n).filter_map(|i| u32_at(cell, 4 + i * 4))),
            Some(b"ri") if depth == 0 => {
                for i in 0..n {
                    if let Some(sub) = u32_at(cell, 4 + i * 4) {
                        self.collect_list(sub, out, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }

    /// Direct subkeys.
    pub fn subkeys(&self) -> Vec<Key<'a>> {
        self.subkey_offsets()
            .into_iter()
            .filter_map(|o| self.hive.key_at(o))
            .collect()
    }

    /// The direct subkey `name` (case-insensitive).
    pub fn subkey(&self, name: &str) -> Option<Key<'a>> {
        self.subkeys()
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }

    /// The value `name` (case-insensitive; empty for the default value).
    pub fn value(&self, name: &str) -> Option<Value> {
        let count = usize::try_from(u32_at(self.cell, 36)?).ok()?.min(MAX_LIST);
        let list = self.hive.cell(u32_at(self.cell, 40)?)?;
        for i in 0..count {
            let Some(vk) = u32_at(list, i * 4).and_then(|o| self.hive.cell(o)) else {
                continue;
            };
            if !vk.starts_with(b"vk") || vk.len() < 20 {
                continue;
            }
            let name_len = usize::from(u16_at(vk, 2)?);
            let flags = u16_at(vk, 16)?;
            let raw = vk.get(20..20 + name_len)?;
            let vname = if flags & VALUE_COMP_NAME != 0 {
                latin1(raw)
            } else {
                utf16(raw)
            };
            if vname.eq_ignore_ascii_case(name) {
                return self.value_data(vk);
            }
        }
        None
    }

    fn value_data(&self, vk: &[u8]) -> Option<Value> {
        let size_field = u32_at(vk, 4)?;
        let ty = u32_at(vk, 12)?;
        let inline = size_field & 0x8000_0000 != 0;
        let size = usize::try_from(size_field & 0x7FFF_FFFF).ok()?;
        let bytes: Vec<u8> = if inline {
            vk.get(8..8 + size.min(4))?.to_vec()
        } else {
            let cell = self.hive.cell(u32_at(vk, 8)?)?;
            // Big data (`db`, over 16 KiB) is not needed for the facts read here.
            cell.get(..size)?.to_vec()
        };
        Some(match ty {
            1 | 2 => {
                let s = utf16(&bytes);
                Value::Str(s.split('\0').next().unwrap_or("").to_string())
            }
            4 => Value::Dword(u32_at(&bytes, 0)?),
            11 => Value::Qword(u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?)),
            _ => Value::Other(ty, bytes),
        })
    }
}

/// The current control set of a SYSTEM hive (`Select\Current`), e.g. `ControlSet001`.
pub fn current_control_set(system: &Hive<'_>) -> String {
    let n = system
        .value("Select", "Current")
        .and_then(|v| v.as_u64())
        .unwrap_or(1);
    format!("ControlSet{n:03}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a tiny hive: root "ROOT" with subkey "Sub" holding a string, a DWORD and an
    /// inline DWORD-sized binary value.
    fn tiny_hive() -> Vec<u8> {
        let mut h = vec![0u8; HBIN_START];
        h[0..4].copy_from_slice(b"regf");
        let mut bin = b"hbin".to_vec();
        bin.resize(32, 0);
        let base = bin.len() as u32; // cell offsets are relative to HBIN_START
        let mut cells: Vec<u8> = Vec::new();
        let push = |data: Vec<u8>, cells: &mut Vec<u8>| -> u32 {
            let off = base + cells.len() as u32;
            let mut len = data.len() + 4;
            len = (len + 7) & !7;
            cells.extend_from_slice(&(-(len as i32)).to_le_bytes());
            cells.extend_from_slice(&data);
            cells.resize(cells.len() + len - 4 - data.len(), 0);
            off
        };
        let nk = |name: &str, subkeys: u32, list: u32, values: u32, vlist: u32| {
            let mut c = vec![0u8; 76];
            c[0..2].copy_from_slice(b"nk");
            c[2..4].copy_from_slice(&KEY_COMP_NAME.to_le_bytes());
            c[20..24].copy_from_slice(&subkeys.to_le_bytes());
            c[28..32].copy_from_slice(&list.to_le_bytes());
            c[36..40].copy_from_slice(&values.to_le_bytes());
            c[40..44].copy_from_slice(&vlist.to_le_bytes());
            c[72..74].copy_from_slice(&(name.len() as u16).to_le_bytes());
            c.extend_from_slice(name.as_bytes());
            c
        };
        let vk = |name: &str, ty: u32, size: u32, off: u32| {
            let mut c = vec![0u8; 20];
            c[0..2].copy_from_slice(b"vk");
            c[2..4].copy_from_slice(&(name.len() as u16).to_le_bytes());
            c[4..8].copy_from_slice(&size.to_le_bytes());
            c[8..12].copy_from_slice(&off.to_le_bytes());
            c[12..16].copy_from_slice(&ty.to_le_bytes());
            c[16..18].copy_from_slice(&VALUE_COMP_NAME.to_le_bytes());
            c.extend_from_slice(name.as_bytes());
            c
        };
        let text: Vec<u8> = "WKS01\0".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let text_off = push(text.clone(), &mut cells);
        let v1 = push(vk("ComputerName", 1, text.len() as u32, text_off), &mut cells);
        let v2 = push(vk("fDenyTSConnections", 4, 0x8000_0004, 1), &mut cells);
        let mut vl = Vec::new();
        vl.extend_from_slice(&v1.to_le_bytes());
        vl.extend_from_slice(&v2.to_le_bytes());
        let vlist = push(vl, &mut cells);
        let sub = push(nk("Sub", 0, u32::MAX, 2, vlist), &mut cells);
        let mut lf = b"lf".to_vec();
        lf.extend_from_slice(&1u16.to_le_bytes());
        lf.extend_from_slice(&sub.to_le_bytes());
        lf.extend_from_slice(&0u32.to_le_bytes());
        let list = push(lf, &mut cells);
        let root = push(nk("ROOT", 1, list, 0, u32::MAX), &mut cells);
        h[0x24..0x28].copy_from_slice(&root.to_le_bytes());
        bin.extend_from_slice(&cells);
        h.extend_from_slice(&bin);
        h.resize(h.len() + 64, 0);
        h
    }

    #[test]
    fn reads_keys_and_values_case_insensitively() {
        let data = tiny_hive();
        let hive = Hive::new(&data).unwrap();
        assert_eq!(hive.root().unwrap().name(), "ROOT");
        assert_eq!(
            hive.value("sub", "computername"),
            Some(Value::Str("WKS01".into()))
        );
        assert_eq!(hive.value("Sub", "fDenyTSConnections"), Some(Value::Dword(1)));
        assert_eq!(hive.value("Sub", "missing"), None);
        assert!(hive.key("Sub\\Nope").is_none());
    }

    #[test]
    fn damaged_input_gives_none() {
        assert!(Hive::new(b"not a hive").is_none());
        let mut data = tiny_hive();
        data[0x24..0x28].copy_from_slice(&0xFFFF_FF00u32.to_le_bytes());
        assert!(Hive::new(&data).is_none());
        // Truncate in the middle of the cells: lookups fail softly.
        let data = tiny_hive();
        if let Some(h) = Hive::new(&data[..HBIN_START + 40]) {
            let _ = h.value("Sub", "ComputerName");
        }
    }
}
