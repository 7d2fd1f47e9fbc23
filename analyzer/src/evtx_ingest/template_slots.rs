//! Reading a record's channel and event id without rendering it.
//!
//! An EVTX record is a `TemplateInstance`: a template (XML with holes, defined once per chunk)
//! plus the record's substitution values. The evtx crate hands out those values cheaply
//! (`EvtxRecord::template_instances`, about a tenth of the cost of rendering JSON), but not
//! which hole is which. Windows' manifest events put `EventID` in hole 3 and `Channel` in hole
//! 16; classic events (`ReportEvent`) have the channel, and sometimes more, written literally
//! into the template.
//!
//! So each template is learned from the first of its records, which is rendered in full: if
//! hole 3 / hole 16 hold the rendered id / channel, those are the slots; if no hole at all
//! holds the rendered value, it is a literal of the template; anything else (the value is in
//! some other hole) leaves the template "unknown" and all its records are rendered. Every
//! later rendered record is checked against what the template predicted, and a mismatch makes
//! the template unknown from then on (counted in `EvtxStats::filter_layout_mismatches`).

use std::collections::HashMap;

use evtx::binxml::value_variant::BinXmlValue;

use super::interest::Interest;

/// Canonical hole of `EventID` in Windows' System template.
const EVENT_ID_SLOT: usize = 3;
/// Canonical hole of `Channel` in Windows' System template.
const CHANNEL_SLOT: usize = 16;

#[derive(Debug, Clone, PartialEq)]
enum IdSlot {
    At(usize),
    Literal(u32),
}

#[derive(Debug, Clone, PartialEq)]
enum ChannelSlot {
    At(usize),
    Literal(String),
}

/// What is known about one template.
#[derive(Debug, Clone, PartialEq)]
enum Layout {
    /// Where the id and channel come from.
    Known { id: IdSlot, channel: ChannelSlot },
    /// Render every record of this template.
    Unknown,
}

/// What to do with a record before rendering it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// No rule can want it: do not render.
    Skip,
    /// Render it (a candidate, or its template is not learned yet).
    Render,
}

/// Learned layouts of the templates of one chunk (template offsets are per chunk).
#[derive(Debug, Default)]
pub(crate) struct TemplateSlots {
    layouts: HashMap<u32, Layout>,
}

fn value_u64(v: &BinXmlValue<'_>) -> Option<u64> {
    match v {
        BinXmlValue::UInt8Type(n) => Some(u64::from(*n)),
        BinXmlValue::UInt16Type(n) => Some(u64::from(*n)),
        BinXmlValue::UInt32Type(n) | BinXmlValue::HexInt32Type(n) => Some(u64::from(*n)),
        BinXmlValue::UInt64Type(n) | BinXmlValue::HexInt64Type(n) => Some(*n),
        BinXmlValue::Int8Type(n) => u64::try_from(*n).ok(),
        BinXmlValue::Int16Type(n) => u64::try_from(*n).ok(),
        BinXmlValue::Int32Type(n) => u64::try_from(*n).ok(),
        BinXmlValue::Int64Type(n) => u64::try_from(*n).ok(),
        BinXmlValue::StringType(_) | BinXmlValue::AnsiStringType(_) => {
            value_string(v).and_then(|s| crate::model::parse_number(&s))
        }
        _ => None,
    }
}

fn value_string(v: &BinXmlValue<'_>) -> Option<String> {
    match v {
        BinXmlValue::StringType(s) => s.to_string().ok(),
        BinXmlValue::AnsiStringType(s) => Some((*s).to_string()),
        _ => None,
    }
}

impl TemplateSlots {
    /// Decides from the substitution values of a record's outer template instance (and, for
    /// rules with raw hints, the record's BinXml bytes); also returns the record's channel when
    /// the template's layout tells it.
    pub(crate) fn decide(
        &self,
        template_offset: u32,
        values: &[BinXmlValue<'_>],
        raw: &[u8],
        interest: &Interest,
    ) -> (Decision, Option<String>) {
        let Some(Layout::Known { id, channel }) = self.layouts.get(&template_offset) else {
            return (Decision::Render, None);
        };
        let id = match id {
            IdSlot::At(i) => values
                .get(*i)
                .and_then(value_u64)
                .and_then(|n| u32::try_from(n).ok()),
            IdSlot::Literal(n) => Some(*n),
        };
        let channel = match channel {
            ChannelSlot::At(i) => values.get(*i).and_then(value_string),
            ChannelSlot::Literal(s) => Some(s.clone()),
        };
        let wanted = match (&channel, id) {
            (Some(c), Some(id)) => interest.may_want(c, id) && interest.may_want_raw(c, id, raw),
            (Some(c), None) => interest.may_want_channel(c),
            (None, Some(id)) => interest.may_want_id(id),
            (None, None) => true,
        };
        let decision = if wanted { Decision::Render } else { Decision::Skip };
        (decision, channel)
    }

    /// Learns (or checks) a template from one of its records, rendered to `rendered_id` and
    /// `rendered_channel`. Returns false when a learned layout disagreed with the record.
    pub(crate) fn observe(
        &mut self,
        template_offset: u32,
        values: &[BinXmlValue<'_>],
        rendered_id: u32,
        rendered_channel: &str,
    ) -> bool {
        match self.layouts.get(&template_offset) {
            None => {
                let layout = learn(values, rendered_id, rendered_channel);
                self.layouts.insert(template_offset, layout);
                true
            }
            Some(Layout::Unknown) => true,
            Some(Layout::Known { id, channel }) => {
                let id_ok = match id {
                    IdSlot::At(i) => values.get(*i).and_then(value_u64) == Some(u64::from(rendered_id)),
                    IdSlot::Literal(n) => *n == rendered_id,
                };
                let channel_ok = match channel {
                    ChannelSlot::At(i) => {
                        values.get(*i).and_then(value_string).as_deref() == Some(rendered_channel)
                    }
                    ChannelSlot::Literal(s) => s == rendered_channel,
                };
                if !(id_ok && channel_ok) {
                    self.layouts.insert(template_offset, Layout::Unknown);
                }
                id_ok && channel_ok
            }
        }
    }
}

fn learn(values: &[BinXmlValue<'_>], rendered_id: u32, rendered_channel: &str) -> Layout {
    let id_text = rendered_id.to_string();
    let holds_id = |v: &BinXmlValue<'_>| {
        value_u64(v) == Some(u64::from(rendered_id)) || value_string(v).is_some_and(|s| s.trim() == id_text)
    };
    let id = if values.get(EVENT_ID_SLOT).is_some_and(holds_id) {
        Some(IdSlot::At(EVENT_ID_SLOT))
    } else if !values.iter().any(holds_id) {
        Some(IdSlot::Literal(rendered_id))
    } else {
        None
    };
    let holds_channel = |v: &BinXmlValue<'_>| value_string(v).as_deref() == Some(rendered_channel);
    let channel = if values.get(CHANNEL_SLOT).is_some_and(holds_channel) {
        Some(ChannelSlot::At(CHANNEL_SLOT))
    } else if !values.iter().any(holds_channel) {
        Some(ChannelSlot::Literal(rendered_channel.to_string()))
    } else {
        None
    };
    match (id, channel) {
        (Some(id), Some(channel)) => Layout::Known { id, channel },
        _ => Layout::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
    }

    #[test]
    fn learns_canonical_slots_and_skips_other_ids() {
        let sec = utf16("Security");
        let mut values = vec![BinXmlValue::NullType; 17];
        values[3] = BinXmlValue::UInt16Type(4625);
        values[16] = BinXmlValue::StringType(evtx::Utf16LeSlice::new(&sec, 8));
        let interest = Interest::default();
        let mut slots = TemplateSlots::default();
        assert_eq!(slots.decide(7, &values, &[], &interest).0, Decision::Render);
        assert!(slots.observe(7, &values, 4625, "Security"));
        assert_eq!(slots.decide(7, &values, &[], &interest).0, Decision::Render);
        values[3] = BinXmlValue::UInt16Type(4672);
        assert_eq!(slots.decide(7, &values, &[], &interest).0, Decision::Skip);
        // Another template in the same chunk is not learned yet.
        assert_eq!(slots.decide(8, &values, &[], &interest).0, Decision::Render);
    }

    #[test]
    fn literal_channel_of_classic_templates() {
        let mut values = vec![BinXmlValue::NullType; 20];
        values[3] = BinXmlValue::UInt16Type(6011);
        let interest = Interest::default();
        let mut slots = TemplateSlots::default();
        assert!(slots.observe(1, &values, 6011, "System"));
        assert_eq!(
            slots.decide(1, &values, b"TermService", &interest).0,
            Decision::Skip
        );
        values[3] = BinXmlValue::UInt16Type(7036);
        assert_eq!(
            slots.decide(1, &values, b"TermService", &interest).0,
            Decision::Render
        );
    }

    #[test]
    fn value_in_an_unexpected_hole_means_render_everything() {
        let sys = utf16("System");
        let mut values = vec![BinXmlValue::NullType; 20];
        values[3] = BinXmlValue::UInt16Type(6011);
        values[18] = BinXmlValue::StringType(evtx::Utf16LeSlice::new(&sys, 6));
        let mut slots = TemplateSlots::default();
        assert!(slots.observe(1, &values, 6011, "System"));
        values[3] = BinXmlValue::UInt16Type(1);
        assert_eq!(
            slots.decide(1, &values, &[], &Interest::default()).0,
            Decision::Render
        );
    }

    #[test]
    fn disagreement_turns_the_template_unknown() {
        let mut values = vec![BinXmlValue::NullType; 20];
        values[3] = BinXmlValue::UInt16Type(6011);
        let mut slots = TemplateSlots::default();
        assert!(slots.observe(1, &values, 6011, "System"));
        assert!(!slots.observe(1, &values, 7036, "System"));
        values[3] = BinXmlValue::UInt16Type(1);
        assert_eq!(
            slots.decide(1, &values, &[], &Interest::default()).0,
            Decision::Render
        );
    }
}
