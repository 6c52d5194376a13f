//! Surveys (migration `0015_surveys.sql`): a period's surveys with their definition, the
//! respondents and their answers (imported from files or given on the web questionnaire), the
//! links of the web questionnaire, and the administrator's decisions on units with too few
//! answers. Creating, changing and closing a survey, every import, every decision and every
//! link are audited; the answers themselves are the record of what respondents said. Each
//! respondent's submitted answers are one JSON array on its row (migration `0017`); the counts
//! every number is computed from are kept beside them (migration `0016`).

use std::collections::{BTreeMap, HashMap, HashSet};

use foldhash::fast::RandomState;

use chiso_domain::PeriodCode;
use chiso_domain::questionnaire::SurveyDefinition;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::value::RawValue;
use sqlx::types::Json;
use time::OffsetDateTime;

use crate::audit::{self, NewEntry};
use crate::codec;
use crate::db::{ROWS_PER_STATEMENT, Tx, values_list};
use crate::{Actor, Db, StoreError};

/// Audit entity of a survey (key: `period/code`).
pub const ENTITY: &str = "survey";

/// Status of a survey still collecting answers.
pub const STATUS_OPEN: &str = "open";
/// Status of a survey whose points were written into the period's survey leaves.
pub const STATUS_CLOSED: &str = "closed";

/// A survey as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Survey {
    /// Internal key of the survey's answers and links.
    pub id: i64,
    pub period: PeriodCode,
    pub code: String,
    pub name: String,
    pub definition: SurveyDefinition,
    pub status: String,
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub closed_by: Option<String>,
    pub closed_at: Option<OffsetDateTime>,
}

impl Survey {
    /// The audit key.
    pub fn key(&self) -> String {
        format!("{}/{}", self.period, self.code)
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    period: String,
    code: String,
    name: String,
    definition: Json<SurveyDefinition>,
    status: String,
    created_by: String,
    created_at: String,
    closed_by: Option<String>,
    closed_at: Option<String>,
}

impl Row {
    fn into_survey(self) -> Result<Survey, StoreError> {
        Ok(Survey {
            id: self.id,
            period: codec::id(&self.period, PeriodCode::parse)?,
            code: self.code,
            name: self.name,
            definition: self.definition.0,
            status: self.status,
            created_by: self.created_by,
            created_at: codec::parse_ts(&self.created_at)?,
            closed_by: self.closed_by,
            closed_at: codec::opt_ts(self.closed_at)?,
        })
    }
}

const COLUMNS: &str = "id, period, code, name, definition, status, created_by, created_at, \
                       closed_by, closed_at";

/// Stores a new survey of `period`; [`StoreError::Conflict`] when the period already has one
/// with this code.
pub async fn create(
    db: &Db,
    period: &PeriodCode,
    definition: &SurveyDefinition,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Survey, StoreError> {
    let mut tx = db.begin().await?;
    let exists = sql!(
        tx,
        scalar i64,
        "SELECT COUNT(*) FROM surveys WHERE period = $1 AND code = $2",
        period.as_str(),
        definition.code.as_str()
    )?;
    if exists > 0 {
        return Err(StoreError::Conflict(format!(
            "đợt điều tra {} đã có trong kỳ {period}",
            definition.code
        )));
    }
    let id = sql!(
        tx,
        scalar i64,
        "INSERT INTO surveys (period, code, name, definition, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        period.as_str(),
        definition.code.as_str(),
        definition.name.as_str(),
        Json(definition),
        actor.as_str(),
        codec::ts(at)
    )?;
    let key = format!("{period}/{}", definition.code);
    let mut entry =
        NewEntry::new(actor, at, "create", ENTITY, key).values(None, Some(codec::json(definition)));
    entry.period = Some(period.as_str());
    audit::record(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(Survey {
        id,
        period: period.clone(),
        code: definition.code.clone(),
        name: definition.name.clone(),
        definition: definition.clone(),
        status: STATUS_OPEN.to_owned(),
        created_by: actor.as_str().to_owned(),
        created_at: at,
        closed_by: None,
        closed_at: None,
    })
}

/// Replaces the definition of an open survey (its code stays), audited old → new.
pub async fn redefine(
    db: &Db,
    survey: &Survey,
    definition: &SurveyDefinition,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let n = sql!(
        tx,
        execute,
        "UPDATE surveys SET name = $1, definition = $2 WHERE id = $3 AND status = 'open'",
        definition.name.as_str(),
        Json(definition),
        survey.id
    )?;
    if n == 0 {
        return Err(StoreError::Frozen(format!("đợt điều tra {}", survey.code)));
    }
    let mut entry = NewEntry::new(actor, at, "redefine", ENTITY, survey.key()).values(
        Some(codec::json(&survey.definition)),
        Some(codec::json(definition)),
    );
    entry.period = Some(survey.period.as_str());
    audit::record(&mut tx, entry).await?;
    tx.commit().await
}

/// The surveys of a period, by code.
pub async fn list(db: &Db, period: &PeriodCode) -> Result<Vec<Survey>, StoreError> {
    let mut c = db.conn().await?;
    let sql = format!("SELECT {COLUMNS} FROM surveys WHERE period = $1 ORDER BY code");
    sql!(c, all Row, sqlx::AssertSqlSafe(sql), period.as_str())?
        .into_iter()
        .map(Row::into_survey)
        .collect()
}

/// One survey of a period.
pub async fn get(db: &Db, period: &PeriodCode, code: &str) -> Result<Option<Survey>, StoreError> {
    let mut c = db.conn().await?;
    let sql = format!("SELECT {COLUMNS} FROM surveys WHERE period = $1 AND code = $2");
    sql!(c, optional Row, sqlx::AssertSqlSafe(sql), period.as_str(), code)?
        .map(Row::into_survey)
        .transpose()
}

/// The survey with this internal id (what a questionnaire link names).
pub async fn by_id(db: &Db, id: i64) -> Result<Option<Survey>, StoreError> {
    let mut c = db.conn().await?;
    let sql = format!("SELECT {COLUMNS} FROM surveys WHERE id = $1");
    sql!(c, optional Row, sqlx::AssertSqlSafe(sql), id)?
        .map(Row::into_survey)
        .transpose()
}

/// Marks the survey closed (or closed again), audited with what was written.
pub async fn mark_closed(
    db: &Db,
    survey: &Survey,
    written: serde_json::Value,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    sql!(
        tx,
        execute,
        "UPDATE surveys SET status = 'closed', closed_by = $1, closed_at = $2 WHERE id = $3",
        actor.as_str(),
        codec::ts(at),
        survey.id
    )?;
    let mut entry =
        NewEntry::new(actor, at, "close", ENTITY, survey.key()).values(None, Some(written));
    entry.period = Some(survey.period.as_str());
    audit::record(&mut tx, entry).await?;
    tx.commit().await
}

/// One answer being imported, borrowed from the file being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewAnswer<'a> {
    /// The submission id: the long file's `respondent` cell, or a wide export's row id.
    pub respondent: &'a str,
    pub group: &'a str,
    pub unit: &'a str,
    pub question: &'a str,
    pub answer: &'a str,
}

/// Respondents written to the database at a time (one multi-row statement each).
const SHEETS_PER_STATEMENT: usize = 200;

/// Answers held before the finished respondents are written.
const PENDING_ANSWERS: usize = 20_000;

/// An import in progress: one transaction, so a file either lands whole or not at all.
/// Respondents already stored (by submission id) are passed over with all their answers,
/// so the same file imported twice adds nothing.
///
/// A respondent's answers are gathered while the file gives them one after another, and
/// written as one row when the file moves on to the next respondent. Answers of a respondent
/// the file comes back to later are merged into the row at the end.
pub struct Import {
    tx: Tx,
    survey: i64,
    actor: Actor,
    at: OffsetDateTime,
    origin: String,
    /// Submission ids stored before this import began.
    stored: HashSet<String, RandomState>,
    /// Submission ids this import added.
    added: HashSet<String, RandomState>,
    /// Submission ids of the file that were already stored.
    skipped: HashSet<String, RandomState>,
    /// The respondent whose answers are being read.
    current: Option<Sheet>,
    /// Respondents read through, not written yet.
    pending: Vec<Sheet>,
    pending_answers: usize,
    /// Answers of respondents already written, given again further down the file.
    late: HashMap<String, Sheet, RandomState>,
    answers_added: u64,
    answers_skipped: u64,
    /// Added answers counted by group, unit, question and option, and respondents per group
    /// and unit.
    tally: Counting,
}

impl std::fmt::Debug for Import {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Import")
            .field("survey", &self.survey)
            .field("added", &self.added.len())
            .field("answers_added", &self.answers_added)
            .finish_non_exhaustive()
    }
}

/// What an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ImportCounts {
    pub respondents_added: u64,
    pub respondents_skipped: u64,
    pub answers_added: u64,
    pub answers_skipped: u64,
}

/// One respondent's answers, as numbered texts (see [`Counting`]).
#[derive(Debug)]
struct Sheet {
    respondent: String,
    group: u32,
    /// (unit, question, option).
    answers: Vec<[u32; 3]>,
}

impl Import {
    /// Begins an import into `survey` of answers from `origin` (`tệp <name>`); refused
    /// ([`StoreError::Frozen`]) when the survey is closed.
    pub async fn begin(
        db: &Db,
        survey: &Survey,
        actor: &Actor,
        at: OffsetDateTime,
        origin: &str,
    ) -> Result<Import, StoreError> {
        let mut tx = db.begin().await?;
        let status = sql!(
            tx,
            scalar String,
            "SELECT status FROM surveys WHERE id = $1",
            survey.id
        )?;
        if status != STATUS_OPEN {
            return Err(StoreError::Frozen(format!("đợt điều tra {}", survey.code)));
        }
        let stored = sql!(
            tx,
            scalar_all String,
            "SELECT respondent FROM survey_respondents WHERE survey = $1",
            survey.id
        )?
        .into_iter()
        .collect();
        Ok(Import {
            tx,
            survey: survey.id,
            actor: actor.clone(),
            at,
            origin: origin.to_owned(),
            stored,
            added: HashSet::default(),
            skipped: HashSet::default(),
            current: None,
            pending: Vec::new(),
            pending_answers: 0,
            late: HashMap::default(),
            answers_added: 0,
            answers_skipped: 0,
            tally: Counting::default(),
        })
    }

    /// Whether a submission id was stored before this import.
    pub fn already_stored(&self, respondent: &str) -> bool {
        self.stored.contains(respondent)
    }

    /// Adds one answer (and its respondent, the first time it is seen). The respondent's
    /// group is the one of its first answer: the file reader refuses a respondent in two.
    pub async fn add(&mut self, answer: NewAnswer<'_>) -> Result<(), StoreError> {
        let same = self
            .current
            .as_ref()
            .is_some_and(|c| c.respondent == answer.respondent);
        if !same {
            if self.stored.contains(answer.respondent) {
                if !self.skipped.contains(answer.respondent) {
                    self.skipped.insert(answer.respondent.to_owned());
                }
                self.answers_skipped += 1;
                return Ok(());
            }
            self.switch_to(answer.respondent, answer.group).await?;
        }
        let coded = [
            self.tally.id(answer.unit),
            self.tally.id(answer.question),
            self.tally.id(answer.answer),
        ];
        let late = match self.current.as_mut() {
            Some(sheet) => {
                self.tally.count(sheet.group, coded);
                sheet.answers.push(coded);
                false
            }
            None => true,
        };
        if late {
            let group = self.tally.id(answer.group);
            self.tally.count(group, coded);
            self.late
                .entry(answer.respondent.to_owned())
                .or_insert_with(|| Sheet {
                    respondent: answer.respondent.to_owned(),
                    group,
                    answers: Vec::new(),
                })
                .answers
                .push(coded);
        }
        self.answers_added += 1;
        Ok(())
    }

    /// Finishes the respondent being read and starts `respondent`: a new one, or (when the
    /// file comes back to one it gave before) its late answers.
    async fn switch_to(&mut self, respondent: &str, group: &str) -> Result<(), StoreError> {
        if let Some(done) = self.current.take() {
            self.pending_answers += done.answers.len();
            self.pending.push(done);
            if self.pending.len() >= SHEETS_PER_STATEMENT * 5
                || self.pending_answers >= PENDING_ANSWERS
            {
                self.flush().await?;
            }
        }
        if self.added.contains(respondent) {
            // Gathered in `late` by `add` while `current` is empty.
            return Ok(());
        }
        self.added.insert(respondent.to_owned());
        self.current = Some(Sheet {
            respondent: respondent.to_owned(),
            group: self.tally.id(group),
            answers: Vec::new(),
        });
        Ok(())
    }

    /// Writes the respondents read through, one row each with their answers.
    async fn flush(&mut self) -> Result<(), StoreError> {
        let created = codec::ts(self.at);
        let by = self.actor.as_str().to_owned();
        let pending = std::mem::take(&mut self.pending);
        for s in &pending {
            self.tally.respondent(s.group, &s.answers, &[]);
        }
        let rows: Vec<(&str, &str, Json<Box<RawValue>>)> = pending
            .iter()
            .map(|s| {
                Ok((
                    s.respondent.as_str(),
                    self.tally.name(s.group),
                    Json(self.tally.encode(&s.answers)?),
                ))
            })
            .collect::<Result<_, StoreError>>()?;
        for chunk in rows.chunks(SHEETS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO survey_respondents (survey, respondent, grp, origin, created_by, \
                 created_at, submitted_at, answers) VALUES {}",
                values_list(chunk.len(), 8, 1)
            );
            sql!(self.tx, execute_rows, sql.as_str(), [], chunk, |q, r| q
                .bind(self.survey)
                .bind(r.0)
                .bind(r.1)
                .bind(self.origin.as_str())
                .bind(by.as_str())
                .bind(created.as_str())
                .bind(created.as_str())
                .bind(&r.2))?;
        }
        self.pending_answers = 0;
        Ok(())
    }

    /// Merges the answers the file gave late into their respondents' rows.
    async fn merge_late(&mut self) -> Result<(), StoreError> {
        let late: Vec<Sheet> = std::mem::take(&mut self.late).into_values().collect();
        for sheet in late {
            let stored = sql!(
                self.tx,
                scalar Json<Vec<(String, String, String)>>,
                "SELECT answers FROM survey_respondents WHERE survey = $1 AND respondent = $2",
                self.survey,
                sheet.respondent.as_str()
            )?
            .0;
            let before: Vec<[u32; 3]> = stored
                .iter()
                .map(|(u, q, a)| [self.tally.id(u), self.tally.id(q), self.tally.id(a)])
                .collect();
            self.tally.respondent(sheet.group, &sheet.answers, &before);
            let mut all = before;
            all.extend_from_slice(&sheet.answers);
            sql!(
                self.tx,
                execute,
                "UPDATE survey_respondents SET answers = $1 WHERE survey = $2 AND respondent = $3",
                Json(self.tally.encode(&all)?),
                self.survey,
                sheet.respondent.as_str()
            )?;
        }
        Ok(())
    }

    /// Writes what is pending, records the import in the audit log (`source` names the file)
    /// and commits.
    pub async fn commit(
        mut self,
        survey: &Survey,
        source: &str,
    ) -> Result<ImportCounts, StoreError> {
        if let Some(done) = self.current.take() {
            self.pending.push(done);
        }
        self.flush().await?;
        self.merge_late().await?;
        let counts = ImportCounts {
            respondents_added: self.added.len() as u64,
            respondents_skipped: self.skipped.len() as u64,
            answers_added: self.answers_added,
            answers_skipped: self.answers_skipped,
        };
        self.tally.write(&mut self.tx, self.survey).await?;
        let mut entry = NewEntry::new(&self.actor, self.at, "import", ENTITY, survey.key())
            .values(None, Some(codec::json(&counts)));
        entry.period = Some(survey.period.as_str());
        entry.reason = Some(source);
        audit::record(&mut self.tx, entry).await?;
        self.tx.commit().await?;
        Ok(counts)
    }
}

/// The counts of answers being stored, added to the stored counts when they are committed.
/// Texts are numbered as they first appear, so counting an answer costs a few lookups and no
/// allocation: a million answers are counted in a fraction of a second.
/// Numbered (group, unit, question, option).
type Key = (u32, u32, u32, u32);

#[derive(Debug, Default)]
struct Counting {
    texts: HashMap<Box<str>, u32, RandomState>,
    names: Vec<Box<str>>,
    /// (group, unit, question, option) → answers.
    answers: HashMap<Key, i64, RandomState>,
    /// (group, unit) → respondents.
    respondents: HashMap<(u32, u32), i64, RandomState>,
}

impl Counting {
    fn id(&mut self, text: &str) -> u32 {
        if let Some(id) = self.texts.get(text) {
            return *id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.texts.insert(text.into(), id);
        self.names.push(text.into());
        id
    }

    /// Counts one answer of a respondent of `group`.
    fn count(&mut self, group: u32, [u, q, o]: [u32; 3]) {
        *self.answers.entry((group, u, q, o)).or_default() += 1;
    }

    /// Counts a respondent of `group` once for each unit its `answers` are about that its
    /// answers stored `before` were not.
    fn respondent(&mut self, group: u32, answers: &[[u32; 3]], before: &[[u32; 3]]) {
        let mut units: Vec<u32> = answers.iter().map(|a| a[0]).collect();
        units.sort_unstable();
        units.dedup();
        for u in units {
            if !before.iter().any(|b| b[0] == u) {
                *self.respondents.entry((group, u)).or_default() += 1;
            }
        }
    }

    fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", |n| n)
    }

    /// A respondent's answers as stored: a JSON array of `[unit, question, answer]`.
    fn encode(&self, answers: &[[u32; 3]]) -> Result<Box<RawValue>, StoreError> {
        let triples: Vec<[&str; 3]> = answers
            .iter()
            .map(|[u, q, o]| [self.name(*u), self.name(*q), self.name(*o)])
            .collect();
        serde_json::value::to_raw_value(&triples).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Adds the counts to the stored ones, in the transaction that stores their answers.
    async fn write(&self, tx: &mut Tx, survey: i64) -> Result<(), StoreError> {
        // Options counted per (group, unit, question), with what is stored already.
        let mut merged: BTreeMap<(u32, u32, u32), BTreeMap<&str, i64>> = BTreeMap::new();
        for (&(g, u, q, o), n) in &self.answers {
            *merged
                .entry((g, u, q))
                .or_default()
                .entry(self.name(o))
                .or_default() += n;
        }
        let keys: Vec<[&str; 3]> = merged
            .keys()
            .map(|&(g, u, q)| [self.name(g), self.name(u), self.name(q)])
            .collect();
        let stored = stored_counts(tx, survey, &keys).await?;
        let rows: Vec<CountRow<'_>> = merged
            .iter()
            .zip(keys)
            .map(|((_, added), key)| {
                let mut counts: BTreeMap<String, i64> = stored
                    .get(&key.map(str::to_owned))
                    .cloned()
                    .unwrap_or_default();
                for (option, n) in added {
                    *counts.entry((*option).to_owned()).or_default() += n;
                }
                (key, Json(counts))
            })
            .collect();
        for chunk in rows.chunks(ROWS_PER_STATEMENT * 4) {
            let sql = format!(
                "INSERT INTO survey_counts (survey, grp, unit, question, counts) VALUES {} \
                 ON CONFLICT (survey, grp, unit, question) DO UPDATE SET counts = excluded.counts",
                values_list(chunk.len(), 5, 1)
            );
            sql!(tx, execute_rows, sql.as_str(), [], chunk, |q, r| q
                .bind(survey)
                .bind(r.0[0])
                .bind(r.0[1])
                .bind(r.0[2])
                .bind(&r.1))?;
        }
        let rows: Vec<(&(u32, u32), &i64)> = self.respondents.iter().collect();
        for chunk in rows.chunks(ROWS_PER_STATEMENT * 3) {
            let sql = format!(
                "INSERT INTO survey_unit_respondents (survey, grp, unit, respondents) VALUES {} \
                 ON CONFLICT (survey, grp, unit) DO UPDATE SET \
                 respondents = survey_unit_respondents.respondents + excluded.respondents",
                values_list(chunk.len(), 4, 1)
            );
            sql!(tx, execute_rows, sql.as_str(), [], chunk, |q, r| q
                .bind(survey)
                .bind(self.name(r.0.0))
                .bind(self.name(r.0.1))
                .bind(*r.1))?;
        }
        Ok(())
    }
}

/// Submission ids already stored for a survey (for a preview to say what a file would add).
pub async fn respondent_ids(db: &Db, survey: i64) -> Result<HashSet<String>, StoreError> {
    let mut c = db.conn().await?;
    Ok(sql!(
        c,
        scalar_all String,
        "SELECT respondent FROM survey_respondents WHERE survey = $1 AND submitted_at IS NOT NULL",
        survey
    )?
    .into_iter()
    .collect())
}

/// Count of submitted answers with one option, from one respondent group, about one unit,
/// to one question: what every survey number is computed from.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Tally {
    pub grp: String,
    pub unit: String,
    pub question: String,
    pub answer: String,
    pub count: i64,
}

/// A row of counts to write: (group, unit, question) and option → answers.
type CountRow<'a> = ([&'a str; 3], Json<BTreeMap<String, i64>>);

/// Counts of one question about one unit from one respondent group: option → answers.
type StoredCounts = HashMap<[String; 3], BTreeMap<String, i64>>;

/// Keys looked up one statement at a time when only some are wanted.
const KEYS_PER_LOOKUP: usize = 300;

/// The stored counts of the (group, unit, question) `keys` of a survey: every row of the
/// survey when most are wanted (a large import), else only those.
async fn stored_counts(
    tx: &mut Tx,
    survey: i64,
    keys: &[[&str; 3]],
) -> Result<StoredCounts, StoreError> {
    type Row = (String, String, String, Json<BTreeMap<String, i64>>);
    let mut rows: Vec<Row> = Vec::new();
    if keys.len() > KEYS_PER_LOOKUP * 4 {
        rows = sql!(
            tx,
            all Row,
            "SELECT grp, unit, question, counts FROM survey_counts WHERE survey = $1",
            survey
        )?;
    } else {
        for chunk in keys.chunks(KEYS_PER_LOOKUP) {
            let sql = format!(
                "SELECT grp, unit, question, counts FROM survey_counts WHERE survey = $1 \
                 AND (grp, unit, question) IN (VALUES {})",
                values_list(chunk.len(), 3, 2)
            );
            let found: Vec<Row> = sql!(tx, all_rows Row, sql.as_str(), [survey], chunk, |q, k| q
                .bind(k[0])
                .bind(k[1])
                .bind(k[2]))?;
            rows.extend(found);
        }
    }
    Ok(rows
        .into_iter()
        .map(|(g, u, q, c)| ([g, u, q], c.0))
        .collect())
}

/// The tallies of a survey's submitted answers.
pub async fn tallies(db: &Db, survey: i64) -> Result<Vec<Tally>, StoreError> {
    let mut c = db.conn().await?;
    let rows = sql!(
        c,
        all(String, String, String, Json<BTreeMap<String, i64>>),
        "SELECT grp, unit, question, counts FROM survey_counts WHERE survey = $1",
        survey
    )?;
    let mut out = Vec::with_capacity(rows.len() * 4);
    for (grp, unit, question, counts) in rows {
        for (answer, count) in counts.0 {
            if count > 0 {
                out.push(Tally {
                    grp: grp.clone(),
                    unit: unit.clone(),
                    question: question.clone(),
                    answer,
                    count,
                });
            }
        }
    }
    Ok(out)
}

/// Submitted respondents per group, and how many of them answered about each unit.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Coverage {
    pub grp: String,
    /// Empty for the group's total of respondents.
    pub unit: String,
    pub respondents: i64,
}

/// Respondents per group (`unit` empty) and per group and unit.
pub async fn coverage(db: &Db, survey: i64) -> Result<Vec<Coverage>, StoreError> {
    let mut c = db.conn().await?;
    let mut out = sql!(
        c,
        all Coverage,
        "SELECT grp, '' AS unit, COUNT(*) AS respondents FROM survey_respondents \
         WHERE survey = $1 AND submitted_at IS NOT NULL GROUP BY grp",
        survey
    )?;
    out.extend(sql!(
        c,
        all Coverage,
        "SELECT grp, unit, respondents FROM survey_unit_respondents WHERE survey = $1",
        survey
    )?);
    Ok(out)
}

/// One respondent's answer, for resampling respondents.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RespondentAnswer {
    pub respondent: String,
    pub grp: String,
    pub unit: String,
    pub question: String,
    pub answer: String,
}

/// Every submitted answer of a survey, ordered by respondent.
pub async fn answers(db: &Db, survey: i64) -> Result<Vec<RespondentAnswer>, StoreError> {
    let mut c = db.conn().await?;
    let sheets = sql!(
        c,
        all(String, String, Option<Json<Vec<(String, String, String)>>>),
        "SELECT respondent, grp, answers FROM survey_respondents \
         WHERE survey = $1 AND submitted_at IS NOT NULL ORDER BY respondent",
        survey
    )?;
    let mut out = Vec::new();
    for (respondent, grp, answers) in sheets {
        for (unit, question, answer) in answers.map(|a| a.0).unwrap_or_default() {
            out.push(RespondentAnswer {
                respondent: respondent.clone(),
                grp: grp.clone(),
                unit,
                question,
                answer,
            });
        }
    }
    Ok(out)
}

/// The administrator's decision on a unit and leaf below the minimum of valid answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub unit: String,
    pub leaf: String,
    /// `None`: keep the computed points; `Some`: the points set by hand.
    pub points: Option<Decimal>,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct DecisionRow {
    unit: String,
    leaf: String,
    points: Option<String>,
    reason: String,
    decided_by: String,
    decided_at: String,
}

/// The decisions of a survey.
pub async fn decisions(db: &Db, survey: i64) -> Result<Vec<Decision>, StoreError> {
    let mut c = db.conn().await?;
    sql!(
        c,
        all DecisionRow,
        "SELECT unit, leaf, points, reason, decided_by, decided_at FROM survey_decisions \
         WHERE survey = $1 ORDER BY unit, leaf",
        survey
    )?
    .into_iter()
    .map(|r| {
        Ok(Decision {
            unit: r.unit,
            leaf: r.leaf,
            points: r.points.as_deref().map(codec::parse_dec).transpose()?,
            reason: r.reason,
            decided_by: r.decided_by,
            decided_at: codec::parse_ts(&r.decided_at)?,
        })
    })
    .collect()
}

/// A decision to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDecision<'a> {
    pub unit: &'a str,
    pub leaf: &'a str,
    /// `None`: keep the computed points.
    pub points: Option<Decimal>,
    pub reason: &'a str,
}

/// Records (or replaces) a decision, audited old → new.
pub async fn decide(
    db: &Db,
    survey: &Survey,
    d: &NewDecision<'_>,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let NewDecision {
        unit,
        leaf,
        points,
        reason,
    } = *d;
    let mut tx = db.begin().await?;
    let old = sql!(
        tx,
        optional(String, Option<String>, String),
        "SELECT decision, points, reason FROM survey_decisions \
         WHERE survey = $1 AND unit = $2 AND leaf = $3",
        survey.id,
        unit,
        leaf
    )?;
    let decision = if points.is_some() { "manual" } else { "keep" };
    sql!(
        tx,
        execute,
        "INSERT INTO survey_decisions (survey, unit, leaf, decision, points, reason, \
         decided_by, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (survey, unit, leaf) DO UPDATE SET decision = excluded.decision, \
         points = excluded.points, reason = excluded.reason, \
         decided_by = excluded.decided_by, decided_at = excluded.decided_at",
        survey.id,
        unit,
        leaf,
        decision,
        points.map(codec::dec),
        reason,
        actor.as_str(),
        codec::ts(at)
    )?;
    let mut entry = NewEntry::new(actor, at, "decide", ENTITY, survey.key()).values(
        old.map(|(d, p, r)| serde_json::json!({"decision": d, "points": p, "reason": r})),
        Some(serde_json::json!({
            "decision": decision,
            "points": points.map(codec::dec),
        })),
    );
    entry.period = Some(survey.period.as_str());
    entry.unit = Some(unit);
    entry.node = Some(leaf);
    entry.reason = Some(reason);
    audit::record(&mut tx, entry).await?;
    tx.commit().await
}

/// A link of the web questionnaire (without its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Link {
    /// SHA-256 of the secret: names the link on the administrator's pages.
    pub token_hash: String,
    pub survey: i64,
    pub grp: String,
    /// Who the link is for ("Phiếu 12", a person's name), shown to the administrator only.
    pub label: String,
    /// Responses the link may start: 1 for a respondent's own link.
    pub max_uses: i64,
    /// Responses started through it.
    pub used: i64,
    pub created_by: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// A new link to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLink {
    pub token_hash: String,
    pub grp: String,
    pub label: String,
    pub max_uses: i64,
}

/// Stores links of a survey, audited (labels and counts, never secrets).
pub async fn create_links(
    db: &Db,
    survey: &Survey,
    links: &[NewLink],
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let created = codec::ts(at);
    for chunk in links.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO survey_links (token_hash, survey, grp, label, max_uses, created_by, \
             created_at) VALUES {}",
            values_list(chunk.len(), 7, 1)
        );
        sql!(tx, execute_rows, sql.as_str(), [], chunk, |q, l| q
            .bind(l.token_hash.as_str())
            .bind(survey.id)
            .bind(l.grp.as_str())
            .bind(l.label.as_str())
            .bind(l.max_uses)
            .bind(actor.as_str())
            .bind(created.as_str()))?;
    }
    let summary: Vec<serde_json::Value> = links
        .iter()
        .map(|l| serde_json::json!({"group": l.grp, "label": l.label, "max_uses": l.max_uses}))
        .collect();
    let mut entry = NewEntry::new(actor, at, "issue_links", ENTITY, survey.key())
        .values(None, Some(serde_json::Value::Array(summary)));
    entry.period = Some(survey.period.as_str());
    audit::record(&mut tx, entry).await?;
    tx.commit().await
}

const LINK_COLUMNS: &str =
    "token_hash, survey, grp, label, max_uses, used, created_by, created_at, revoked_at";

/// The links of a survey, newest first.
pub async fn links(db: &Db, survey: i64) -> Result<Vec<Link>, StoreError> {
    let mut c = db.conn().await?;
    let sql = format!(
        "SELECT {LINK_COLUMNS} FROM survey_links WHERE survey = $1 \
         ORDER BY created_at DESC, label"
    );
    Ok(sql!(c, all Link, sqlx::AssertSqlSafe(sql), survey)?)
}

/// The link with this digest, revoked or not.
pub async fn link(db: &Db, token_hash: &str) -> Result<Option<Link>, StoreError> {
    let mut c = db.conn().await?;
    let sql = format!("SELECT {LINK_COLUMNS} FROM survey_links WHERE token_hash = $1");
    Ok(sql!(c, optional Link, sqlx::AssertSqlSafe(sql), token_hash)?)
}

/// Revokes a link of the survey (its responses stay); `false` when there is no such link or
/// it was already revoked.
pub async fn revoke_link(
    db: &Db,
    survey: &Survey,
    token_hash: &str,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    let n = sql!(
        tx,
        execute,
        "UPDATE survey_links SET revoked_at = $1 WHERE token_hash = $2 AND survey = $3 \
         AND revoked_at IS NULL",
        codec::ts(at),
        token_hash,
        survey.id
    )?;
    if n == 0 {
        return Ok(false);
    }
    let mut entry = NewEntry::new(actor, at, "revoke_link", ENTITY, survey.key())
        .values(None, Some(serde_json::json!({ "link": token_hash })));
    entry.period = Some(survey.period.as_str());
    audit::record(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(true)
}

/// A response on the web questionnaire as stored: saved answers, submitted or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebResponse {
    pub respondent: String,
    pub grp: String,
    /// `(unit, question, answer)`.
    pub answers: Vec<(String, String, String)>,
    pub submitted: bool,
}

/// The response `respondent` of a survey, if it exists.
pub async fn web_response(
    db: &Db,
    survey: i64,
    respondent: &str,
) -> Result<Option<WebResponse>, StoreError> {
    let mut c = db.conn().await?;
    let row = sql!(
        c,
        optional(
            String,
            Option<String>,
            Option<Json<Vec<(String, String, String)>>>,
            Option<Json<Vec<(String, String, String)>>>,
        ),
        "SELECT grp, submitted_at, draft, answers FROM survey_respondents \
         WHERE survey = $1 AND respondent = $2",
        survey,
        respondent
    )?;
    let Some((grp, submitted_at, draft, submitted)) = row else {
        return Ok(None);
    };
    let kept = if submitted_at.is_some() {
        submitted
    } else {
        draft
    };
    let answers = kept.map(|d| d.0).unwrap_or_default();
    Ok(Some(WebResponse {
        respondent: respondent.to_owned(),
        grp,
        answers,
        submitted: submitted_at.is_some(),
    }))
}

/// Starts a response through a link: refused ([`StoreError::Conflict`]) when the link is
/// revoked, used up, or its survey closed. The link's count goes up in the same transaction.
pub async fn start_response(
    db: &Db,
    link: &Link,
    respondent: &str,
    origin: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let n = sql!(
        tx,
        execute,
        "UPDATE survey_links SET used = used + 1 WHERE token_hash = $1 AND revoked_at IS NULL \
         AND used < max_uses AND EXISTS (SELECT 1 FROM surveys s WHERE s.id = survey_links.survey \
         AND s.status = 'open')",
        link.token_hash.as_str()
    )?;
    if n == 0 {
        return Err(StoreError::Conflict(
            "đường dẫn đã thu hồi hoặc đã dùng hết".to_owned(),
        ));
    }
    sql!(
        tx,
        execute,
        "INSERT INTO survey_respondents (survey, respondent, grp, origin, link, created_by, \
         created_at, draft) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        link.survey,
        respondent,
        link.grp.as_str(),
        origin,
        link.token_hash.as_str(),
        "web",
        codec::ts(at),
        Json(Vec::<(String, String, String)>::new())
    )?;
    tx.commit().await
}

/// Saves the answers of a response not yet submitted; with `submit`, moves them into the
/// survey's answers and closes the response. [`StoreError::Conflict`] when it was submitted
/// already or the survey is closed.
pub async fn save_response(
    db: &Db,
    survey: i64,
    respondent: &str,
    answers: &[(String, String, String)],
    submit: bool,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let grp = sql!(
        tx,
        scalar_optional String,
        "SELECT r.grp FROM survey_respondents r JOIN surveys s ON s.id = r.survey \
         WHERE r.survey = $1 AND r.respondent = $2 AND r.submitted_at IS NULL \
         AND s.status = 'open'",
        survey,
        respondent
    )?
    .ok_or_else(|| StoreError::Conflict("phiếu đã nộp hoặc đợt điều tra đã khóa".to_owned()))?;
    if submit {
        sql!(
            tx,
            execute,
            "UPDATE survey_respondents SET draft = NULL, answers = $1, submitted_at = $2 \
             WHERE survey = $3 AND respondent = $4",
            Json(answers),
            codec::ts(at),
            survey,
            respondent
        )?;
        let mut tally = Counting::default();
        let group = tally.id(&grp);
        let coded: Vec<[u32; 3]> = answers
            .iter()
            .map(|(u, q, a)| [tally.id(u), tally.id(q), tally.id(a)])
            .collect();
        for c in &coded {
            tally.count(group, *c);
        }
        tally.respondent(group, &coded, &[]);
        tally.write(&mut tx, survey).await?;
    } else {
        sql!(
            tx,
            execute,
            "UPDATE survey_respondents SET draft = $1 WHERE survey = $2 AND respondent = $3",
            Json(answers),
            survey,
            respondent
        )?;
    }
    tx.commit().await
}

/// The link a response was started through, if any.
pub async fn response_link(
    db: &Db,
    survey: i64,
    respondent: &str,
) -> Result<Option<String>, StoreError> {
    let mut c = db.conn().await?;
    Ok(sql!(
        c,
        scalar_optional Option<String>,
        "SELECT link FROM survey_respondents WHERE survey = $1 AND respondent = $2",
        survey,
        respondent
    )?
    .flatten())
}
