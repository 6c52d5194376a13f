//! Explanation requests (yêu cầu giải trình): an appraiser asks the unit to explain one leaf,
//! the unit answers (and may amend its answer while the window is open). The cycle has one
//! explanation round, so a leaf has at most one request per period; its status is the leaf's
//! [`LeafExplanation`], which the workflow uses to decide what the unit and the appraisers may
//! still do.

use chiso_domain::workflow::LeafExplanation;
use chiso_domain::{NodeCode, PeriodCode, UnitCode};
use serde::Serialize;
use time::OffsetDateTime;

use crate::audit;
use crate::codec;
use crate::db::Ex;
use crate::leaves::LeafKey;
use crate::{Actor, Db, StoreError, periods};

/// Audit entity of an explanation request (key `period/unit/node`).
pub const ENTITY: &str = "explanation";

/// A request and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExplanationRequest {
    pub id: i64,
    pub key: LeafKey,
    /// What the appraiser asks the unit to explain.
    pub request: String,
    pub requested_by: String,
    pub requested_at: OffsetDateTime,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<OffsetDateTime>,
    /// [`LeafExplanation::Requested`] until answered, then [`LeafExplanation::Answered`].
    pub status: LeafExplanation,
    /// 1 when requested, +1 for each answer.
    pub version: i64,
}

impl ExplanationRequest {
    fn audit_value(&self) -> serde_json::Value {
        serde_json::json!({
            "request": self.request,
            "answer": self.answer,
            "status": self.status,
            "version": self.version,
        })
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    period: String,
    unit: String,
    node: String,
    request: String,
    requested_by: String,
    requested_at: String,
    answer: Option<String>,
    answered_by: Option<String>,
    answered_at: Option<String>,
    status: String,
    version: i64,
}

impl Row {
    fn into_request(self) -> Result<ExplanationRequest, StoreError> {
        Ok(ExplanationRequest {
            id: self.id,
            key: LeafKey {
                period: codec::id(&self.period, PeriodCode::parse)?,
                unit: codec::id(&self.unit, UnitCode::parse)?,
                node: codec::id(&self.node, NodeCode::parse)?,
            },
            request: self.request,
            requested_by: self.requested_by,
            requested_at: codec::parse_ts(&self.requested_at)?,
            answer: self.answer,
            answered_by: self.answered_by,
            answered_at: codec::opt_ts(self.answered_at)?,
            status: codec::parse_enum(&self.status)?,
            version: self.version,
        })
    }
}

/// Asks the unit to explain a leaf; returns the request. [`StoreError::Conflict`] if the leaf
/// already has a request in this period or the unit does not exist; [`StoreError::NotFound`]
/// if the period does not exist; [`StoreError::Frozen`] if it is published.
#[tracing::instrument(skip_all, fields(period = %key.period, unit = %key.unit, node = %key.node))]
pub async fn request(
    db: &Db,
    key: &LeafKey,
    text: &str,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<ExplanationRequest, StoreError> {
    let mut tx = db.begin().await?;
    periods::load_open(&mut tx, &key.period).await?;
    let id = sql!(
        tx,
        scalar_optional i64,
        "INSERT INTO explanation_requests (period, unit, node, request, requested_by, \
         requested_at, status, version) VALUES ($1, $2, $3, $4, $5, $6, $7, 1) \
         ON CONFLICT (period, unit, node) DO NOTHING RETURNING id",
        key.period.as_str(),
        key.unit.as_str(),
        key.node.as_str(),
        text,
        actor.as_str(),
        codec::ts(at),
        codec::enum_name(&LeafExplanation::Requested),
    )?
    .ok_or_else(|| {
        StoreError::Conflict(format!(
            "tiêu chí {} của đơn vị {} (kỳ {}) đã có yêu cầu giải trình",
            key.node, key.unit, key.period
        ))
    })?;
    let stored = read(tx.ex(), id).await?;
    audit::record(
        &mut tx,
        key.entry(actor, at, "request", ENTITY)
            .values(None, Some(stored.audit_value())),
    )
    .await?;
    tx.commit().await?;
    Ok(stored)
}

/// Writes (or amends) the unit's answer to request `id` if its version is still
/// `expected_version`; returns the request as stored. An answer equal to the stored one writes
/// nothing. [`StoreError::NotFound`] if there is no such request, [`StoreError::Conflict`] if
/// the version is stale (nothing is changed), [`StoreError::Frozen`] if the period is
/// published.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn answer(
    db: &Db,
    id: i64,
    text: &str,
    expected_version: i64,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<ExplanationRequest, StoreError> {
    let mut tx = db.begin().await?;
    let old = read(tx.ex(), id).await?;
    periods::load_open(&mut tx, &old.key.period).await?;
    if old.version != expected_version {
        return Err(StoreError::Conflict(format!(
            "giải trình tiêu chí {} của đơn vị {} đã được sửa: phiên bản hiện tại {}, không \
             phải {expected_version}; hãy tải lại",
            old.key.node, old.key.unit, old.version
        )));
    }
    if old.answer.as_deref() == Some(text) {
        return Ok(old);
    }
    let stamp = codec::ts(at);
    let written = sql!(
        tx,
        execute,
        "UPDATE explanation_requests SET answer = $1, answered_by = $2, answered_at = $3, \
         status = $4, version = $5 WHERE id = $6 AND version = $7",
        text,
        actor.as_str(),
        stamp.as_str(),
        codec::enum_name(&LeafExplanation::Answered),
        old.version + 1,
        id,
        old.version,
    )?;
    if written != 1 {
        return Err(StoreError::Conflict(format!(
            "giải trình tiêu chí {} của đơn vị {} vừa được người khác sửa; hãy tải lại",
            old.key.node, old.key.unit
        )));
    }
    let new = read(tx.ex(), id).await?;
    audit::record(
        &mut tx,
        old.key
            .entry(actor, at, "answer", ENTITY)
            .values(Some(old.audit_value()), Some(new.audit_value())),
    )
    .await?;
    tx.commit().await?;
    Ok(new)
}

async fn read(mut ex: Ex<'_>, id: i64) -> Result<ExplanationRequest, StoreError> {
    sql!(
        ex,
        optional Row,
        "SELECT id, period, unit, node, request, requested_by, requested_at, answer, \
         answered_by, answered_at, status, version FROM explanation_requests WHERE id = $1",
        id,
    )?
    .ok_or_else(|| StoreError::NotFound(format!("yêu cầu giải trình số {id}")))?
    .into_request()
}

/// The period's requests, of one unit or of every unit, by unit then numeric leaf order.
#[tracing::instrument(skip_all, fields(period = %period, unit = ?unit))]
pub async fn list(
    db: &Db,
    period: &PeriodCode,
    unit: Option<&UnitCode>,
) -> Result<Vec<ExplanationRequest>, StoreError> {
    let mut c = db.conn().await?;
    let mut out = sql!(
        c,
        all Row,
        "SELECT id, period, unit, node, request, requested_by, requested_at, answer, \
         answered_by, answered_at, status, version FROM explanation_requests \
         WHERE period = $1 AND ($2 IS NULL OR unit = $2)",
        period.as_str(),
        unit.map(UnitCode::as_str),
    )?
    .into_iter()
    .map(Row::into_request)
    .collect::<Result<Vec<_>, _>>()?;
    out.sort_by(|a, b| {
        a.key
            .unit
            .cmp(&b.key.unit)
            .then_with(|| a.key.node.cmp(&b.key.node))
    });
    Ok(out)
}
