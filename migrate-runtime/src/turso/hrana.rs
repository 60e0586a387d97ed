//! SQL over HTTP on the Turso server: Hrana's `/v2/pipeline`, the protocol
//! the server's own clients push with, as JSON.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper_tls::HttpsConnector;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

/// A connection to one server's pipeline endpoint.
pub(crate) struct Hrana {
    client: Transport,
    endpoint: String,
    authorization: Option<String>,
}

/// HTTP, or HTTPS, whose connector loads the system's certificates (tens
/// of milliseconds): only for a server that needs it.
enum Transport {
    Plain(Client<HttpConnector, Full<Bytes>>),
    Tls(Client<HttpsConnector<HttpConnector>, Full<Bytes>>),
}

/// A statement with its positional arguments.
pub(crate) struct Statement {
    pub(crate) sql: String,
    pub(crate) args: Vec<Arg>,
}

/// An argument of a statement.
pub(crate) enum Arg {
    Integer(i64),
    Text(String),
    Null,
}

/// What the server answered to one statement: its rows, or its error.
pub(crate) type Answer = Result<Rows, String>;

/// The rows of a query, each a list of values.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    pub(crate) rows: Vec<Vec<Cell>>,
    /// How long the server took, as it reports it.
    pub(crate) millis: f64,
}

/// One value of a row.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cell {
    Integer(i64),
    Float(f64),
    Text(String),
    Null,
    Blob,
}

impl Cell {
    pub(crate) fn integer(&self) -> Option<i64> {
        match self {
            Cell::Integer(value) => Some(*value),
            _ => None,
        }
    }

    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Cell::Text(value) => Some(value),
            _ => None,
        }
    }
}

/// How a step of a batch runs: always, once every step listed succeeded, or
/// once the step listed did not succeed.
pub(crate) enum Condition {
    Always,
    AllOk(Vec<usize>),
    NotOk(usize),
}

/// One step of a batch.
pub(crate) struct Step {
    pub(crate) statement: Statement,
    pub(crate) condition: Condition,
}

/// What the server answered to each step of a batch: `None` for a step its
/// condition skipped.
pub(crate) type BatchAnswer = Vec<Option<Answer>>;

impl Hrana {
    /// The server at `url`: `http://`, `https://`, or `libsql://` (HTTPS).
    pub(crate) fn new(url: &str, auth_token: Option<&str>) -> Self {
        let base = match url.strip_prefix("libsql://") {
            Some(rest) => format!("https://{rest}"),
            None => url.to_string(),
        };
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        let builder = Client::builder(TokioExecutor::new());
        let client = if base.starts_with("http://") {
            Transport::Plain(builder.build(http))
        } else {
            http.enforce_http(false);
            Transport::Tls(builder.build(HttpsConnector::new_with_connector(http)))
        };
        Self {
            client,
            endpoint: format!("{}/v2/pipeline", base.trim_end_matches('/')),
            authorization: auth_token.map(|token| format!("Bearer {token}")),
        }
    }

    /// Runs `statements` one after another, each on its own (no
    /// transaction), and returns each one's answer.
    pub(crate) async fn execute(&self, statements: Vec<Statement>) -> Result<Vec<Answer>, String> {
        let requests: Vec<Value> = statements
            .into_iter()
            .map(|statement| json!({"type": "execute", "stmt": statement.to_json()}))
            .collect();
        let response = self.pipeline(json!({ "requests": requests })).await?;
        results(&response)?
            .iter()
            .map(|result| match result["type"].as_str() {
                Some("ok") => Ok(Ok(rows(&result["response"]["result"]))),
                Some("error") => Ok(Err(message(&result["error"]))),
                _ => Err(format!("the server answered an unknown result: {result}")),
            })
            .collect()
    }

    /// Runs `steps` as one batch, each as its condition says, in one round
    /// trip: the server runs the whole batch even if this process goes
    /// away, so a transaction begun in it ends in it.
    pub(crate) async fn batch(&self, steps: Vec<Step>) -> Result<BatchAnswer, String> {
        let steps: Vec<Value> = steps.into_iter().map(Step::into_json).collect();
        let count = steps.len();
        let request = json!({"requests": [{"type": "batch", "batch": {"steps": steps}}]});
        let response = self.pipeline(request).await?;
        let result = &results(&response)?[0];
        if result["type"] == "error" {
            return Err(message(&result["error"]));
        }
        let batch = &result["response"]["result"];
        let (answers, errors) = (&batch["step_results"], &batch["step_errors"]);
        Ok((0..count)
            .map(|step| match (&answers[step], &errors[step]) {
                (_, error) if error.is_object() => Some(Err(message(error))),
                (answer, _) if answer.is_object() => Some(Ok(rows(answer))),
                _ => None,
            })
            .collect())
    }

    async fn pipeline(&self, body: Value) -> Result<Value, String> {
        let mut request =
            hyper::Request::post(&self.endpoint).header(CONTENT_TYPE, "application/json");
        if let Some(authorization) = &self.authorization {
            request = request.header(AUTHORIZATION, authorization);
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|error| format!("{}: {error}", self.endpoint))?;
        let response = match &self.client {
            Transport::Plain(client) => client.request(request).await,
            Transport::Tls(client) => client.request(request).await,
        }
        .map_err(|error| transport_error(&self.endpoint, &error))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|error| format!("{}: {error}", self.endpoint))?
            .to_bytes();
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body);
            return Err(format!(
                "{} answered {status}: {}",
                self.endpoint,
                text.trim()
            ));
        }
        serde_json::from_slice(&body)
            .map_err(|error| format!("{} answered what is not Hrana JSON: {error}", self.endpoint))
    }
}

impl Statement {
    pub(crate) fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            args: Vec::new(),
        }
    }

    pub(crate) fn with_args(sql: impl Into<String>, args: Vec<Arg>) -> Self {
        Self {
            sql: sql.into(),
            args,
        }
    }

    fn to_json(&self) -> Value {
        let args: Vec<Value> = self
            .args
            .iter()
            .map(|arg| match arg {
                // Hrana carries integers as strings: JSON numbers lose precision.
                Arg::Integer(value) => json!({"type": "integer", "value": value.to_string()}),
                Arg::Text(value) => json!({"type": "text", "value": value}),
                Arg::Null => json!({"type": "null"}),
            })
            .collect();
        json!({"sql": self.sql, "args": args, "want_rows": true})
    }
}

impl Step {
    fn into_json(self) -> Value {
        let ok = |step: usize| json!({"type": "ok", "step": step});
        let condition = match self.condition {
            Condition::Always => Value::Null,
            Condition::AllOk(steps) if steps.len() == 1 => ok(steps[0]),
            Condition::AllOk(steps) => {
                json!({"type": "and", "conds": steps.into_iter().map(ok).collect::<Vec<_>>()})
            }
            Condition::NotOk(step) => json!({"type": "not", "cond": ok(step)}),
        };
        json!({"stmt": self.statement.to_json(), "condition": condition})
    }
}

fn results(response: &Value) -> Result<&Vec<Value>, String> {
    response["results"]
        .as_array()
        .filter(|results| !results.is_empty())
        .ok_or_else(|| format!("the server answered without results: {response}"))
}

fn message(error: &Value) -> String {
    error["message"]
        .as_str()
        .map_or_else(|| error.to_string(), str::to_string)
}

fn rows(result: &Value) -> Rows {
    let rows = result["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    row.as_array()
                        .map_or(Vec::new(), |r| r.iter().map(cell).collect())
                })
                .collect()
        })
        .unwrap_or_default();
    Rows {
        rows,
        millis: result["query_duration_ms"].as_f64().unwrap_or(0.0),
    }
}

fn cell(value: &Value) -> Cell {
    match value["type"].as_str() {
        Some("integer") => value["value"]
            .as_str()
            .and_then(|text| text.parse().ok())
            .or_else(|| value["value"].as_i64())
            .map_or(Cell::Null, Cell::Integer),
        Some("float") => Cell::Float(value["value"].as_f64().unwrap_or(f64::NAN)),
        Some("text") => Cell::Text(value["value"].as_str().unwrap_or_default().to_string()),
        Some("blob") => Cell::Blob,
        _ => Cell::Null,
    }
}

/// A failed request, with the cause that says what to check (connection
/// refused, a name that does not resolve, TLS).
fn transport_error(endpoint: &str, error: &hyper_util::client::legacy::Error) -> String {
    let mut text = format!("{endpoint}: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_libsql_url_is_reached_over_https_and_a_trailing_slash_is_dropped() {
        assert_eq!(
            Hrana::new("libsql://db-org.turso.io", None).endpoint,
            "https://db-org.turso.io/v2/pipeline"
        );
        assert_eq!(
            Hrana::new("http://127.0.0.1:8080/", Some("t")).endpoint,
            "http://127.0.0.1:8080/v2/pipeline"
        );
    }

    #[test]
    fn conditions_are_written_as_hrana_reads_them() {
        let step = |condition| Step {
            statement: Statement::new("COMMIT"),
            condition,
        };
        assert_eq!(
            step(Condition::Always).into_json()["condition"],
            Value::Null
        );
        assert_eq!(
            step(Condition::AllOk(vec![3])).into_json()["condition"],
            json!({"type": "ok", "step": 3})
        );
        assert_eq!(
            step(Condition::AllOk(vec![0, 2])).into_json()["condition"],
            json!({"type": "and", "conds": [{"type": "ok", "step": 0}, {"type": "ok", "step": 2}]})
        );
        assert_eq!(
            step(Condition::NotOk(4)).into_json()["condition"],
            json!({"type": "not", "cond": {"type": "ok", "step": 4}})
        );
    }

    #[test]
    fn integers_travel_as_text_and_come_back_as_numbers() {
        let statement = Statement::with_args("SELECT ?", vec![Arg::Integer(i64::MAX), Arg::Null]);
        assert_eq!(
            statement.to_json()["args"],
            json!([{"type": "integer", "value": i64::MAX.to_string()}, {"type": "null"}])
        );
        let answer = rows(&json!({"rows": [[{"type": "integer", "value": "42"},
            {"type": "text", "value": "x"}, {"type": "null"}]], "query_duration_ms": 1.5}));
        assert_eq!(
            answer.rows,
            vec![vec![Cell::Integer(42), Cell::Text("x".into()), Cell::Null]]
        );
        assert_eq!(answer.millis, 1.5);
    }
}
