//! Typed path extractors: a handler names the domain codes it works on (`PeriodUnit`,
//! `UnitLeaf`…) instead of taking strings and parsing them itself. A segment that is not a
//! valid code names nothing, so it is answered like a missing page, in the visitor's language
//! (the period or unit named when that is what was wrong).

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use chiso_domain::{NodeCode, PeriodCode, SetCode, UnitCode};

use crate::AppError;

/// The route's parameters by name.
async fn params<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
) -> Result<HashMap<String, String>, AppError> {
    Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map(|Path(m)| m)
        .map_err(|_| AppError::PageNotFound)
}

fn raw<'a>(params: &'a HashMap<String, String>, name: &str) -> Result<&'a str, AppError> {
    params
        .get(name)
        .map(String::as_str)
        .ok_or(AppError::PageNotFound)
}

fn period(params: &HashMap<String, String>) -> Result<PeriodCode, AppError> {
    let raw = raw(params, "period")?;
    PeriodCode::parse(raw).map_err(|_| AppError::PeriodNotFound(raw.to_owned()))
}

fn unit(params: &HashMap<String, String>) -> Result<UnitCode, AppError> {
    let raw = raw(params, "unit")?;
    UnitCode::parse(raw).map_err(|_| AppError::UnitNotFound(raw.to_owned()))
}

fn node(params: &HashMap<String, String>) -> Result<NodeCode, AppError> {
    NodeCode::parse(raw(params, "node")?).map_err(|_| AppError::PageNotFound)
}

fn set(params: &HashMap<String, String>) -> Result<SetCode, AppError> {
    SetCode::parse(raw(params, "set")?).map_err(|_| AppError::PageNotFound)
}

fn survey(params: &HashMap<String, String>) -> Result<String, AppError> {
    let raw = raw(params, "survey")?;
    chiso_domain::questionnaire::valid_code(raw)
        .then(|| raw.to_owned())
        .ok_or(AppError::PageNotFound)
}

fn id(params: &HashMap<String, String>) -> Result<i64, AppError> {
    raw(params, "id")?
        .parse()
        .map_err(|_| AppError::PageNotFound)
}

macro_rules! typed_path {
    ($(#[$doc:meta])* $name:ident { $($field:ident: $ty:ty = $parse:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name {
            $(pub $field: $ty,)+
        }

        impl<S: Send + Sync> FromRequestParts<S> for $name {
            type Rejection = AppError;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
                let params = params(parts, state).await?;
                Ok($name { $($field: $parse(&params)?,)+ })
            }
        }
    };
}

typed_path!(
    /// `…/{period}`.
    InPeriod { period: PeriodCode = period }
);
typed_path!(
    /// `…/{period}/…/{unit}`.
    PeriodUnit { period: PeriodCode = period, unit: UnitCode = unit }
);
typed_path!(
    /// `…/{period}/…/{unit}/…/{node}`: one leaf of a unit's dossier.
    UnitLeaf { period: PeriodCode = period, unit: UnitCode = unit, node: NodeCode = node }
);
typed_path!(
    /// `…/{period}/…/{unit}/…/{id}`: a numbered row of a unit's dossier (a document, a request).
    UnitItem { period: PeriodCode = period, unit: UnitCode = unit, id: i64 = id }
);
typed_path!(
    /// `…/{period}/…/{survey}`: a survey of a period.
    InSurvey { period: PeriodCode = period, survey: String = survey }
);

typed_path!(
    /// `…/{period}/…/{survey}/{unit}/{node}`: one unit's points on one leaf of a survey.
    SurveyCell {
        period: PeriodCode = period,
        survey: String = survey,
        unit: UnitCode = unit,
        node: NodeCode = node,
    }
);

typed_path!(
    /// `…/{set}`.
    InSet { set: SetCode = set }
);
typed_path!(
    /// `…/{set}/…/{node}`.
    SetNode { set: SetCode = set, node: NodeCode = node }
);

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;
    use axum::routing::get;
    use axum::{Router, body::Body};
    use tower::ServiceExt;

    async fn status_and_body(uri: &str) -> (u16, String) {
        let app = Router::new().route(
            "/ky/{period}/don-vi/{unit}/tieu-chi/{node}",
            get(|p: UnitLeaf| async move { format!("{} {} {}", p.period, p.unit, p.node) }),
        );
        let resp = app
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn valid_segments_arrive_as_codes_and_a_bad_one_is_not_found() {
        assert_eq!(
            status_and_body("/ky/2025/don-vi/SNV/tieu-chi/1.2.1").await,
            (200, "2025 SNV 1.2.1".to_owned())
        );
        assert_eq!(
            status_and_body("/ky/2025/don-vi/SNV/tieu-chi/x..y").await.0,
            404
        );
        assert_eq!(
            status_and_body("/ky/%20/don-vi/SNV/tieu-chi/1").await.0,
            404
        );
    }
}
