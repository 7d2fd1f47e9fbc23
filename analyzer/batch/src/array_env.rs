//! `--shard auto`: this process's shard K/N taken from the environment of an array-job runner.
//!
//! | runner                 | K                                  | N                          |
//! |------------------------|------------------------------------|----------------------------|
//! | Kubernetes Indexed Job | `JOB_COMPLETION_INDEX`             | `JOB_COMPLETIONS` (*)      |
//! | Slurm `--array`        | `SLURM_ARRAY_TASK_ID` (**)         | `SLURM_ARRAY_TASK_COUNT`   |
//! | AWS Batch array job    | `AWS_BATCH_JOB_ARRAY_INDEX`        | `AWS_BATCH_JOB_ARRAY_SIZE` |
//!
//! (*) Kubernetes exports the index but not the completions count: the Job manifest sets
//! `JOB_COMPLETIONS` in the container's `env` to the same number as `spec.completions`.
//! (**) Slurm task ids need not start at 0 (`--array=1-8`, `--array=0-30:10`): K is
//! `(SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP` (min 0 and step 1 when
//! unset); ids that do not fall on that grid, or a `SLURM_ARRAY_TASK_MAX` that does not end it
//! after N ids (a list such as `--array=1,4,9`), are an error in every task.
//!
//! The environment is read through a lookup closure, so tests never touch the process's own.

use std::fmt;
use std::str::FromStr;

use super::Shard;

/// What `--shard` asks for: a fixed K/N, or the array-job runner's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardSpec {
    /// `K/N` given on the command line.
    Fixed(Shard),
    /// `auto`: from the environment (see the module documentation).
    Auto,
}

impl FromStr for ShardSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("auto") {
            Ok(ShardSpec::Auto)
        } else {
            s.parse::<Shard>()
                .map(ShardSpec::Fixed)
                .map_err(|e| format!("{e} (or `auto`: from the array-job environment)"))
        }
    }
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShardSpec::Fixed(s) => s.fmt(f),
            ShardSpec::Auto => f.write_str("auto"),
        }
    }
}

impl ShardSpec {
    /// The shard: the fixed one, or for `auto` the one [`shard_from_env`] finds through `lookup`
    /// (a variable's value, `None` when unset).
    pub fn resolve<F>(self, lookup: F) -> Result<Shard, ShardEnvError>
    where
        F: Fn(&str) -> Option<String>,
    {
        match self {
            ShardSpec::Fixed(s) => Ok(s),
            ShardSpec::Auto => shard_from_env(lookup).map(|found| found.shard),
        }
    }
}

/// One array-job runner: the variables that carry K and N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Runner {
    /// Its name in messages.
    pub name: &'static str,
    /// The variable holding this task's index.
    pub index_var: &'static str,
    /// The variable holding the number of tasks.
    pub count_var: &'static str,
    /// What to do when the index is set and the count is not.
    pub count_hint: &'static str,
}

/// The runners `--shard auto` knows, in the order they are looked for.
pub static RUNNERS: [Runner; 3] = [
    Runner {
        name: "Kubernetes Indexed Job",
        index_var: "JOB_COMPLETION_INDEX",
        count_var: "JOB_COMPLETIONS",
        count_hint: "Kubernetes does not export the completions count: set JOB_COMPLETIONS in the \
                     container's env to the Job's spec.completions",
    },
    Runner {
        name: "Slurm job array",
        index_var: "SLURM_ARRAY_TASK_ID",
        count_var: "SLURM_ARRAY_TASK_COUNT",
        count_hint: "Slurm sets it for job arrays (sbatch --array); is this a job array?",
    },
    Runner {
        name: "AWS Batch array job",
        index_var: "AWS_BATCH_JOB_ARRAY_INDEX",
        count_var: "AWS_BATCH_JOB_ARRAY_SIZE",
        count_hint: "AWS Batch sets it in the child jobs of an array job",
    },
];

const SLURM_MIN: &str = "SLURM_ARRAY_TASK_MIN";
const SLURM_STEP: &str = "SLURM_ARRAY_TASK_STEP";
const SLURM_MAX: &str = "SLURM_ARRAY_TASK_MAX";

/// A shard found in the environment, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvShard {
    /// K/N.
    pub shard: Shard,
    /// The runner whose variables gave it.
    pub runner: &'static str,
    /// The variables read, `NAME=value` joined by `, ` (for the log).
    pub read: String,
}

/// Why `--shard auto` found no usable shard (a usage error: nothing is processed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardEnvError {
    /// No runner's index variable is set.
    #[error(
        "--shard auto: no array-job index in the environment; set JOB_COMPLETION_INDEX and \
         JOB_COMPLETIONS (Kubernetes Indexed Job), SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT \
         (Slurm --array), or AWS_BATCH_JOB_ARRAY_INDEX and AWS_BATCH_JOB_ARRAY_SIZE (AWS Batch \
         array job); or give --shard K/N"
    )]
    NoRunner,
    /// The index variables of more than one runner are set.
    #[error("--shard auto: the indexes of several array-job runners are set ({vars}); give --shard K/N")]
    Ambiguous {
        /// The index variables set, joined by `, `.
        vars: String,
    },
    /// The index is set, the count is not.
    #[error("--shard auto: {index_var} is set ({runner}) but {count_var} is not: {hint}")]
    MissingCount {
        /// Runner name.
        runner: &'static str,
        /// Index variable.
        index_var: &'static str,
        /// Count variable.
        count_var: &'static str,
        /// What to do.
        hint: &'static str,
    },
    /// A variable is not a whole number.
    #[error("--shard auto: {var}={value:?} is not a whole number")]
    NotANumber {
        /// Variable.
        var: &'static str,
        /// Its value.
        value: String,
    },
    /// The numbers do not make a shard (K >= N, N = 0, a Slurm id off the grid...).
    #[error("--shard auto ({runner}: {read}): {message}")]
    Invalid {
        /// Runner name.
        runner: &'static str,
        /// The variables read, `NAME=value`.
        read: String,
        /// What is wrong.
        message: String,
    },
}

/// The shard of this task of an array job, from the runner's variables read through `lookup`
/// (`None` or a blank value: unset). See the module documentation for the variables.
pub fn shard_from_env<F>(lookup: F) -> Result<EnvShard, ShardEnvError>
where
    F: Fn(&str) -> Option<String>,
{
    let get = |var: &str| lookup(var).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let set: Vec<&Runner> = RUNNERS.iter().filter(|r| get(r.index_var).is_some()).collect();
    let runner = match set.as_slice() {
        [] => return Err(ShardEnvError::NoRunner),
        [one] => *one,
        many => {
            return Err(ShardEnvError::Ambiguous {
                vars: many.iter().map(|r| r.index_var).collect::<Vec<_>>().join(", "),
            });
        }
    };
    let number = |var: &'static str, value: &str| {
        value.parse::<u64>().map_err(|_| ShardEnvError::NotANumber {
            var,
            value: value.to_owned(),
        })
    };
    let index_text = get(runner.index_var).unwrap_or_default();
    let Some(count_text) = get(runner.count_var) else {
        return Err(ShardEnvError::MissingCount {
            runner: runner.name,
            index_var: runner.index_var,
            count_var: runner.count_var,
            hint: runner.count_hint,
        });
    };
    let mut read = vec![
        format!("{}={index_text}", runner.index_var),
        format!("{}={count_text}", runner.count_var),
    ];
    let raw_index = number(runner.index_var, &index_text)?;
    let count = number(runner.count_var, &count_text)?;
    let invalid = |read: &[String], message: String| ShardEnvError::Invalid {
        runner: runner.name,
        read: read.join(", "),
        message,
    };
    let index = if runner.index_var == "SLURM_ARRAY_TASK_ID" {
        let min = match get(SLURM_MIN) {
            Some(v) => {
                read.push(format!("{SLURM_MIN}={v}"));
                number(SLURM_MIN, &v)?
            }
            None => 0,
        };
        let step = match get(SLURM_STEP) {
            Some(v) => {
                read.push(format!("{SLURM_STEP}={v}"));
                number(SLURM_STEP, &v)?
            }
            None => 1,
        };
        let offset = raw_index.checked_sub(min).ok_or_else(|| {
            invalid(
                read.as_slice(),
                format!("task id {raw_index} is below the array's first id {min}"),
            )
        })?;
        // With the last id known, every task can tell a list (`--array=1,4,9`) from a range,
        // so no task of a list runs a shard while the others fail.
        let max = match get(SLURM_MAX) {
            Some(v) => {
                read.push(format!("{SLURM_MAX}={v}"));
                Some(number(SLURM_MAX, &v)?)
            }
            None => None,
        };
        let spans_count = |max: u64| {
            max.checked_sub(min)
                .is_some_and(|span| step != 0 && span.is_multiple_of(step) && span / step + 1 == count)
        };
        if step == 0 || !offset.is_multiple_of(step) || max.is_some_and(|m| !spans_count(m)) {
            return Err(invalid(
                read.as_slice(),
                "the task ids are not an evenly spaced range (use --array=0-<N-1>)".to_owned(),
            ));
        }
        offset / step
    } else {
        raw_index
    };
    let shard = format!("{index}/{count}")
        .parse::<Shard>()
        .map_err(|e| invalid(read.as_slice(), e))?;
    Ok(EnvShard {
        shard,
        runner: runner.name,
        read: read.join(", "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())
    }

    fn shard(index: u32, count: u32) -> Shard {
        Shard { index, count }
    }

    #[test]
    fn spec_parses_auto_and_k_of_n() {
        assert_eq!("auto".parse::<ShardSpec>(), Ok(ShardSpec::Auto));
        assert_eq!(" AUTO ".parse::<ShardSpec>(), Ok(ShardSpec::Auto));
        assert_eq!("2/8".parse::<ShardSpec>(), Ok(ShardSpec::Fixed(shard(2, 8))));
        let e = "8/8".parse::<ShardSpec>().err().unwrap_or_default();
        assert!(e.contains("K must be below N") && e.contains("auto"), "{e}");
        assert_eq!(ShardSpec::Auto.to_string(), "auto");
        assert_eq!(ShardSpec::Fixed(shard(1, 2)).to_string(), "1/2");
    }

    #[test]
    fn a_fixed_shard_ignores_the_environment() {
        let vars = [("JOB_COMPLETION_INDEX", "5"), ("JOB_COMPLETIONS", "8")];
        assert_eq!(ShardSpec::Fixed(shard(1, 4)).resolve(env(&vars)), Ok(shard(1, 4)));
        assert_eq!(ShardSpec::Fixed(shard(1, 4)).resolve(env(&[])), Ok(shard(1, 4)));
    }

    #[test]
    fn kubernetes_indexed_job() {
        let vars = [("JOB_COMPLETION_INDEX", "5"), ("JOB_COMPLETIONS", "8")];
        let found = shard_from_env(env(&vars));
        assert_eq!(
            found,
            Ok(EnvShard {
                shard: shard(5, 8),
                runner: "Kubernetes Indexed Job",
                read: "JOB_COMPLETION_INDEX=5, JOB_COMPLETIONS=8".to_owned(),
            })
        );
        assert_eq!(ShardSpec::Auto.resolve(env(&vars)), Ok(shard(5, 8)));
    }

    #[test]
    fn kubernetes_without_the_count_says_to_set_it() {
        let e = shard_from_env(env(&[("JOB_COMPLETION_INDEX", "0")]));
        assert!(
            matches!(
                e,
                Err(ShardEnvError::MissingCount {
                    count_var: "JOB_COMPLETIONS",
                    ..
                })
            ),
            "{e:?}"
        );
        let text = e.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.contains("JOB_COMPLETIONS") && text.contains("spec.completions"),
            "{text}"
        );
        // Blank counts as unset (an env entry with an empty value).
        let blank = shard_from_env(env(&[("JOB_COMPLETION_INDEX", "0"), ("JOB_COMPLETIONS", " ")]));
        assert!(
            matches!(blank, Err(ShardEnvError::MissingCount { .. })),
            "{blank:?}"
        );
    }

    #[test]
    fn slurm_array_from_zero() {
        let vars = [("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_COUNT", "4")];
        assert_eq!(ShardSpec::Auto.resolve(env(&vars)), Ok(shard(3, 4)));
    }

    #[test]
    fn slurm_array_with_an_offset_and_a_step() {
        // --array=1-8: ids 1..=8 are shards 0..=7.
        let vars = [
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "8"),
        ];
        assert_eq!(ShardSpec::Auto.resolve(env(&vars)), Ok(shard(0, 8)));
        // --array=0-30:10: ids 0, 10, 20, 30 are shards 0..=3.
        let vars = [
            ("SLURM_ARRAY_TASK_ID", "20"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "30"),
            ("SLURM_ARRAY_TASK_STEP", "10"),
        ];
        let found = shard_from_env(env(&vars));
        assert_eq!(found.as_ref().map(|f| f.shard), Ok(shard(2, 4)));
        assert_eq!(
            found.map(|f| f.read).unwrap_or_default(),
            "SLURM_ARRAY_TASK_ID=20, SLURM_ARRAY_TASK_COUNT=4, SLURM_ARRAY_TASK_MIN=0, \
             SLURM_ARRAY_TASK_STEP=10, SLURM_ARRAY_TASK_MAX=30"
        );
    }

    #[test]
    fn slurm_ids_off_the_grid_are_refused() {
        // --array=1,4,9 with min 1 and step 1: id 9 would be "shard 8 of 3".
        let vars = [
            ("SLURM_ARRAY_TASK_ID", "9"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ];
        let e = shard_from_env(env(&vars)).err();
        assert!(matches!(e, Some(ShardEnvError::Invalid { .. })), "{e:?}");
        let vars = [
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_STEP", "10"),
        ];
        let e = shard_from_env(env(&vars))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("evenly spaced"), "{e}");
        // A list, seen from its first task: ids 1, 4, 9 are not 1..=3.
        let vars = [
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "9"),
        ];
        let e = shard_from_env(env(&vars))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("evenly spaced") && e.contains("SLURM_ARRAY_TASK_MAX=9"),
            "{e}"
        );
        let vars = [
            ("SLURM_ARRAY_TASK_ID", "0"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ];
        let e = shard_from_env(env(&vars))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("below the array's first id"), "{e}");
    }

    #[test]
    fn aws_batch_array_job() {
        let vars = [
            ("AWS_BATCH_JOB_ARRAY_INDEX", "0"),
            ("AWS_BATCH_JOB_ARRAY_SIZE", "2"),
        ];
        assert_eq!(ShardSpec::Auto.resolve(env(&vars)), Ok(shard(0, 2)));
        let e = shard_from_env(env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "1")])).err();
        assert!(
            matches!(
                e,
                Some(ShardEnvError::MissingCount {
                    count_var: "AWS_BATCH_JOB_ARRAY_SIZE",
                    ..
                })
            ),
            "{e:?}"
        );
    }

    #[test]
    fn nothing_set_names_every_variable() {
        let e = ShardSpec::Auto.resolve(env(&[])).err();
        assert_eq!(e, Some(ShardEnvError::NoRunner));
        let text = ShardEnvError::NoRunner.to_string();
        for r in RUNNERS.iter() {
            assert!(text.contains(r.index_var) && text.contains(r.count_var), "{text}");
        }
        assert!(text.contains("--shard K/N"), "{text}");
        // A count alone is not an index.
        let e = shard_from_env(env(&[("JOB_COMPLETIONS", "8")])).err();
        assert_eq!(e, Some(ShardEnvError::NoRunner));
    }

    #[test]
    fn two_runners_at_once_are_ambiguous() {
        let vars = [
            ("JOB_COMPLETION_INDEX", "1"),
            ("JOB_COMPLETIONS", "4"),
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        let e = shard_from_env(env(&vars)).err();
        assert_eq!(
            e,
            Some(ShardEnvError::Ambiguous {
                vars: "JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID".to_owned()
            })
        );
    }

    #[test]
    fn bad_numbers_and_out_of_range_indexes_are_errors() {
        let e = shard_from_env(env(&[("JOB_COMPLETION_INDEX", "x"), ("JOB_COMPLETIONS", "4")])).err();
        assert_eq!(
            e,
            Some(ShardEnvError::NotANumber {
                var: "JOB_COMPLETION_INDEX",
                value: "x".to_owned()
            })
        );
        let e = shard_from_env(env(&[("JOB_COMPLETION_INDEX", "1"), ("JOB_COMPLETIONS", "-4")])).err();
        assert!(
            matches!(
                e,
                Some(ShardEnvError::NotANumber {
                    var: "JOB_COMPLETIONS",
                    ..
                })
            ),
            "{e:?}"
        );
        let e = shard_from_env(env(&[("JOB_COMPLETION_INDEX", "4"), ("JOB_COMPLETIONS", "4")]))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("Kubernetes Indexed Job")
                && e.contains("JOB_COMPLETION_INDEX=4")
                && e.contains("K must be below N"),
            "{e}"
        );
        let e = shard_from_env(env(&[("JOB_COMPLETION_INDEX", "0"), ("JOB_COMPLETIONS", "0")])).err();
        assert!(matches!(e, Some(ShardEnvError::Invalid { .. })), "{e:?}");
    }
}
