//! Reading a record's channel and event id without rendering it.
//!
//! An EVTX record is a `TemplateInstance`: a template (XML with holes, defined once per chunk)
//! plus the record's substitution values, which [`RawInstance`] reads without rendering; but
//! nothing says which hole is which. Windows' manifest events put `EventID` in hole 3 and `Channel` in hole
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

use super::interest::Interest;
use super::raw_instance::RawInstance;

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

impl TemplateSlots {
    /// Decides from the substitution values of a record's outer template instance (and, for
    /// rules with raw hints, the record's BinXml bytes); also returns the record's channel when
    /// the template's layout tells it.
    pub(crate) fn decide(
        &self,
        values: &RawInstance<'_>,
        raw: &[u8],
        interest: &Interest,
    ) -> (Decision, Option<String>) {
        let Some(Layout::Known { id, channel }) = self.layouts.get(&values.template_offset) else {
            return (Decision::Render, None);
        };
        let id = match id {
            IdSlot::At(i) => values.u64_at(*i).and_then(|n| u32::try_from(n).ok()),
            IdSlot::Literal(n) => Some(*n),
        };
        let channel = match channel {
            ChannelSlot::At(i) => values.string_at(*i),
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
        values: &RawInstance<'_>,
        rendered_id: u32,
        rendered_channel: &str,
    ) -> bool {
        let template_offset = values.template_offset;
        match self.layouts.get(&template_offset) {
            None => {
                let layout = learn(values, rendered_id, rendered_channel);
                self.layouts.insert(template_offset, layout);
                true
            }
            Some(Layout::Unknown) => true,
            Some(Layout::Known { id, channel }) => {
                let id_ok = match id {
                    IdSlot::At(i) => values.u64_at(*i) == Some(u64::from(rendered_id)),
                    IdSlot::Literal(n) => *n == rendered_id,
                };
                let channel_ok = match channel {
                    ChannelSlot::At(i) => values.string_at(*i).as_deref() == Some(rendered_channel),
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

fn learn(values: &RawInstance<'_>, rendered_id: u32, rendered_channel: &str) -> Layout {
    let id_text = rendered_id.to_string();
    let holds_id = |i: usize| {
        values.u64_at(i) == Some(u64::from(rendered_id))
            || values.string_at(i).is_some_and(|s| s.trim() == id_text)
    };
    let id = if holds_id(EVENT_ID_SLOT) {
        Some(IdSlot::At(EVENT_ID_SLOT))
    } else if !(0..values.len()).any(holds_id) {
        Some(IdSlot::Literal(rendered_id))
    } else {
        None
    };
    let holds_channel = |i: usize| values.string_at(i).as_deref() == Some(rendered_channel);
    let channel = if holds_channel(CHANNEL_SLOT) {
        Some(ChannelSlot::At(CHANNEL_SLOT))
    } else if !(0..values.len()).any(holds_channel) {
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
    use super::super::raw_instance::tests::{instance, utf16};
    use super::*;

    const UINT16: u8 = 0x06;
    const STRING: u8 = 0x01;

    /// A record of template `def` with `n` null holes, then the given ones set.
    fn record(def: u32, n: usize, set: &[(usize, u8, Vec<u8>)]) -> Vec<u8> {
        let mut values: Vec<(u8, Vec<u8>)> = vec![(0, vec![]); n];
        for (i, t, v) in set {
            values[*i] = (*t, v.clone());
        }
        instance(def, &values)
    }

    fn parse(rec: &[u8]) -> RawInstance<'_> {
        RawInstance::parse(rec, 0, rec.len()).unwrap()
    }

    #[test]
    fn learns_canonical_slots_and_skips_other_ids() {
        let interest = Interest::default();
        let mut slots = TemplateSlots::default();
        let sec = |id: u16| {
            record(
                7,
                17,
                &[
                    (3, UINT16, id.to_le_bytes().to_vec()),
                    (16, STRING, utf16("Security")),
                ],
            )
        };
        let r4625 = sec(4625);
        assert_eq!(slots.decide(&parse(&r4625), &[], &interest).0, Decision::Render);
        assert!(slots.observe(&parse(&r4625), 4625, "Security"));
        let (d, channel) = slots.decide(&parse(&r4625), &[], &interest);
        assert_eq!((d, channel.as_deref()), (Decision::Render, Some("Security")));
        assert_eq!(slots.decide(&parse(&sec(4672)), &[], &interest).0, Decision::Skip);
        // Another template in the same chunk is not learned yet.
        let other = record(8, 17, &[(3, UINT16, 4672u16.to_le_bytes().to_vec())]);
        assert_eq!(slots.decide(&parse(&other), &[], &interest).0, Decision::Render);
    }

    #[test]
    fn literal_channel_of_classic_templates() {
        let interest = Interest::default();
        let mut slots = TemplateSlots::default();
        let sys = |id: u16| record(1, 20, &[(3, UINT16, id.to_le_bytes().to_vec())]);
        assert!(slots.observe(&parse(&sys(6011)), 6011, "System"));
        assert_eq!(slots.decide(&parse(&sys(6011)), &[], &interest).0, Decision::Skip);
        // 7036 of SCM needs TermService in the raw bytes.
        assert_eq!(
            slots.decide(&parse(&sys(7036)), b"TermService", &interest).0,
            Decision::Render
        );
        assert_eq!(
            slots.decide(&parse(&sys(7036)), b"Spooler", &interest).0,
            Decision::Skip
        );
    }

    #[test]
    fn value_in_an_unexpected_hole_means_render_everything() {
        let mut slots = TemplateSlots::default();
        let r = |id: u16| {
            record(
                1,
                20,
                &[
                    (3, UINT16, id.to_le_bytes().to_vec()),
                    (18, STRING, utf16("System")),
                ],
            )
        };
        assert!(slots.observe(&parse(&r(6011)), 6011, "System"));
        assert_eq!(
            slots.decide(&parse(&r(1)), &[], &Interest::default()).0,
            Decision::Render
        );
    }

    #[test]
    fn disagreement_turns_the_template_unknown() {
        let mut slots = TemplateSlots::default();
        let r = record(1, 20, &[(3, UINT16, 6011u16.to_le_bytes().to_vec())]);
        assert!(slots.observe(&parse(&r), 6011, "System"));
        assert!(!slots.observe(&parse(&r), 7036, "System"));
        let r1 = record(1, 20, &[(3, UINT16, 1u16.to_le_bytes().to_vec())]);
        assert_eq!(
            slots.decide(&parse(&r1), &[], &Interest::default()).0,
            Decision::Render
        );
    }
}
