//! The stdio transport, framed and checked before rmcp sees a byte.
//!
//! One task reads stdin line by line with a hard size cap and checks each line cheaply (UTF-8, JSON
//! within serde_json's nesting limit, the JSON-RPC 2.0 envelope). A good line is parsed once into
//! rmcp's message type and handed over through a queue (this module is rmcp's transport); a bad
//! one is answered here with a JSON-RPC error (-32700 or -32600), so a client never waits forever
//! on a line nobody read. One writer task owns stdout and writes whole lines only, rmcp's answers
//! (each serialised once, straight into its line) and ours, so the two never interleave.

use std::future::Future;
use std::io;

use rmcp::service::{RoleServer, RxJsonRpcMessage, Service, ServiceExt, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// The longest line accepted on stdin, newline excluded: 4 MiB. The rest of a longer line is read
/// and thrown away without being kept, and the line is answered with a parse error.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

/// JSON-RPC "Parse error".
pub const PARSE_ERROR: i64 = -32700;
/// JSON-RPC "Invalid Request".
pub const INVALID_REQUEST: i64 = -32600;

/// Size of the stdin read buffer, and of one write of queued answers.
const PIPE_BYTES: usize = 64 * 1024;
/// Parsed messages waiting for rmcp; the reader stops reading stdin while this is full.
const IN_QUEUE: usize = 64;
/// Answers waiting for stdout; rmcp's sends wait while this is full.
const OUT_QUEUE: usize = 256;
/// A line buffer that grew past this for one large message is given back afterwards.
const KEEP_LINE_CAPACITY: usize = PIPE_BYTES;
/// How long the writer may take to flush rmcp's last answers once the session has ended.
const DRAIN_SECS: u64 = 5;

/// What to do with one line read from stdin.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// A JSON-RPC message for rmcp: parsed and handed on.
    Pass,
    /// Nothing to do: a blank line, or a response without an id that nobody could match.
    Skip,
    /// Answered here with this error.
    Reject(Rejection),
}

/// A JSON-RPC error answer to one bad line.
#[derive(Debug, PartialEq)]
pub struct Rejection {
    /// [`PARSE_ERROR`] or [`INVALID_REQUEST`].
    pub code: i64,
    /// The message's id when it could be read and is a string or a number, else `null`.
    pub id: Value,
    /// Why, in a few words (never a copy of the input).
    pub reason: String,
}

impl Rejection {
    fn parse(reason: impl Into<String>) -> Rejection {
        Rejection {
            code: PARSE_ERROR,
            id: Value::Null,
            reason: reason.into(),
        }
    }

    fn invalid(id: Value, reason: &str) -> Rejection {
        Rejection {
            code: INVALID_REQUEST,
            id,
            reason: reason.to_string(),
        }
    }

    /// The answer as one line of JSON, newline included.
    pub fn to_line(&self) -> Vec<u8> {
        let message = if self.code == PARSE_ERROR {
            "Parse error"
        } else {
            "Invalid Request"
        };
        let answer = serde_json::json!({
            "jsonrpc": "2.0",
            "id": self.id,
            "error": {"code": self.code, "message": message, "data": self.reason},
        });
        let mut line = serde_json::to_vec(&answer).unwrap_or_default();
        line.push(b'\n');
        line
    }
}

/// A line without its newline, a trailing `\r` and a leading UTF-8 byte-order mark.
fn message_bytes(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
}

/// Checks one line (newline and a trailing `\r` allowed, and a leading UTF-8 byte-order mark, as
/// rmcp allows them). One parse, no copy of the line.
pub fn check_line(line: &[u8]) -> Verdict {
    let line = message_bytes(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Verdict::Skip;
    }
    let Ok(text) = std::str::from_utf8(line) else {
        return Verdict::Reject(Rejection::parse("the line is not valid UTF-8"));
    };
    let shape = match serde_json::from_str::<Shape>(text) {
        Ok(shape) => shape,
        Err(e) if e.is_data() => {
            return Verdict::Reject(Rejection::invalid(Value::Null, "not a JSON-RPC message"));
        }
        // Syntax, end of input, or nesting deeper than serde_json's limit of 128.
        Err(e) => return Verdict::Reject(Rejection::parse(format!("not valid JSON: {e}"))),
    };
    match shape {
        Shape::Batch => Verdict::Pass,
        Shape::EmptyArray => Verdict::Reject(Rejection::invalid(Value::Null, "an empty batch")),
        Shape::Other => Verdict::Reject(Rejection::invalid(
            Value::Null,
            "a message must be a JSON object",
        )),
        Shape::Object(facts) => facts.verdict(),
    }
}

/// The top-level shape of a line, as far as the envelope check needs it.
enum Shape {
    Object(Facts),
    Batch,
    EmptyArray,
    Other,
}

/// What an object says about itself.
#[derive(Default)]
struct Facts {
    version_2: bool,
    id: Option<Value>,
    method_is_string: Option<bool>,
    outcome: bool,
}

impl Facts {
    fn verdict(self) -> Verdict {
        let id_usable = matches!(self.id, Some(Value::String(_) | Value::Number(_)));
        let echo = if id_usable {
            self.id.clone().unwrap_or(Value::Null)
        } else {
            Value::Null
        };
        if !self.version_2 {
            return Verdict::Reject(Rejection::invalid(echo, "\"jsonrpc\" must be \"2.0\""));
        }
        match self.method_is_string {
            Some(true) if self.id.is_none() || id_usable => Verdict::Pass,
            Some(true) => Verdict::Reject(Rejection::invalid(
                Value::Null,
                "\"id\" must be a string or a number",
            )),
            Some(false) => Verdict::Reject(Rejection::invalid(echo, "\"method\" must be a string")),
            // A response to a request of ours (elicitation). One without a usable id can be matched
            // to nothing and is never answered, so two peers cannot bounce errors forever.
            None if self.outcome && id_usable => Verdict::Pass,
            None if self.outcome => Verdict::Skip,
            None => Verdict::Reject(Rejection::invalid(
                echo,
                "neither a request (\"method\") nor a response (\"result\" or \"error\")",
            )),
        }
    }
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Shape, D::Error> {
        d.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        if seq.next_element::<Skip>()?.is_none() {
            return Ok(Shape::EmptyArray);
        }
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Shape::Batch)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        let mut facts = Facts::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Jsonrpc => facts.version_2 = map.next_value::<IsVersion2>()?.0,
                Key::Id => facts.id = Some(map.next_value::<Value>()?),
                Key::Method => facts.method_is_string = Some(map.next_value::<IsString>()?.0),
                Key::Outcome => {
                    map.next_value::<Skip>()?;
                    facts.outcome = true;
                }
                Key::Other => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(Shape::Object(facts))
    }
}

/// The envelope keys the check looks at.
enum Key {
    Jsonrpc,
    Id,
    Method,
    Outcome,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, k: &str) -> Result<Key, E> {
                Ok(match k {
                    "jsonrpc" => Key::Jsonrpc,
                    "id" => Key::Id,
                    "method" => Key::Method,
                    "result" | "error" => Key::Outcome,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// Any JSON value, skipped. Unlike [`IgnoredAny`], it goes through `deserialize_any`, so
/// serde_json counts its nesting against the recursion limit (serde_json skips ignored values
/// without counting).
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(Kind(|_: Option<&str>| ())).map(|()| Skip)
    }
}

/// `true` when the value is exactly the string "2.0".
struct IsVersion2(bool);

impl<'de> Deserialize<'de> for IsVersion2 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<IsVersion2, D::Error> {
        d.deserialize_any(Kind(|s: Option<&str>| s == Some("2.0")))
            .map(IsVersion2)
    }
}

/// `true` when the value is a string.
struct IsString(bool);

impl<'de> Deserialize<'de> for IsString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<IsString, D::Error> {
        d.deserialize_any(Kind(|s: Option<&str>| s.is_some()))
            .map(IsString)
    }
}

/// Visits any value and reports `f(Some(text))` for a string, `f(None)` for anything else,
/// skipping (and depth-counting) the insides of arrays and objects.
struct Kind<F>(F);

impl<'de, T, F: FnOnce(Option<&str>) -> T> Visitor<'de> for Kind<F> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<T, E> {
        Ok((self.0)(None))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<T, E> {
        Ok((self.0)(None))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<T, E> {
        Ok((self.0)(None))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<T, E> {
        Ok((self.0)(None))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        Ok((self.0)(Some(s)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok((self.0)(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok((self.0)(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        while map.next_entry::<IgnoredAny, Skip>()?.is_some() {}
        Ok((self.0)(None))
    }
}

/// Serves `service` over stdin and stdout until stdin ends (or stdout is closed).
pub async fn serve_stdio<S: Service<RoleServer>>(service: S) -> Result<(), String> {
    let (input, output) = rmcp::transport::stdio_pipes();
    serve_lines(service, input, output).await
}

/// Serves `service` over any line-oriented pair of streams, with the checks described above.
pub async fn serve_lines<S, R, W>(service: S, input: R, output: W) -> Result<(), String>
where
    S: Service<RoleServer>,
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (lines, lines_rx) = mpsc::channel::<Vec<u8>>(OUT_QUEUE);
    let (messages, messages_rx) = mpsc::channel::<RxJsonRpcMessage<RoleServer>>(IN_QUEUE);
    let reader = tokio::spawn(read_lines(input, messages, lines.clone()));
    let mut writer = tokio::spawn(write_lines(lines_rx, output));
    let transport = LineTransport {
        incoming: messages_rx,
        outgoing: Some(lines),
    };

    let running = match service.serve(transport).await {
        Ok(r) => r,
        Err(e) => {
            reader.abort();
            writer.abort();
            return Err(format!("MCP initialisation failed: {e}"));
        }
    };
    let outcome = tokio::select! {
        quit = running.waiting() => match quit {
            Ok(_) => Ok(()),
            Err(e) => Err(format!("MCP session ended with an error: {e}")),
        },
        // stdout failed first: dropping the running service (with the other branch) cancels it.
        written = &mut writer => {
            reader.abort();
            return finished_writer(written);
        }
    };
    // The service has let go of its side; the writer sends what is left, then ends.
    reader.abort();
    match tokio::time::timeout(std::time::Duration::from_secs(DRAIN_SECS), &mut writer).await {
        Ok(written) => finished_writer(written)?,
        Err(_) => writer.abort(),
    }
    outcome
}

/// rmcp's side of the stdio session: messages the reader parsed come in, and each answer goes
/// out as one serialised line to the writer. The line is parsed once (by the reader) and
/// serialised once (here); nothing is copied between them.
struct LineTransport {
    incoming: mpsc::Receiver<RxJsonRpcMessage<RoleServer>>,
    /// `None` once closed.
    outgoing: Option<mpsc::Sender<Vec<u8>>>,
}

impl Transport<RoleServer> for LineTransport {
    type Error = io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), io::Error>> + Send + 'static {
        let outgoing = self.outgoing.clone();
        let line = match tool_answer_line(&item) {
            Some(line) => Ok(line),
            None => serde_json::to_vec(&item).map(|mut line| {
                line.push(b'\n');
                line
            }),
        };
        async move {
            let line = line.map_err(io::Error::other)?;
            let Some(outgoing) = outgoing else {
                return Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "the stdio transport is closed",
                ));
            };
            outgoing
                .send(line)
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "stdout is closed"))
        }
    }

    fn receive(&mut self) -> impl Future<Output = Option<RxJsonRpcMessage<RoleServer>>> + Send {
        self.incoming.recv()
    }

    async fn close(&mut self) -> Result<(), io::Error> {
        self.outgoing = None;
        self.incoming.close();
        Ok(())
    }
}

/// The line for a tool call's answer, written straight into one buffer when it has the shape this
/// server gives every tool answer: one text block without annotations or `_meta`, structured
/// content, and no `_meta` on the result. Byte for byte what serde gives for the same message
/// (a test holds both to that); anything else returns `None` and goes through serde. The text is
/// the envelope's JSON, full of quotes, and serde escapes it through a write call for every run
/// between two of them: a quarter of the cost of answering a call on the stdio path.
fn tool_answer_line(item: &TxJsonRpcMessage<RoleServer>) -> Option<Vec<u8>> {
    use rmcp::model::{ContentBlock, JsonRpcMessage, ServerResult};
    let JsonRpcMessage::Response(response) = item else {
        return None;
    };
    let ServerResult::CallToolResult(result) = &response.result else {
        return None;
    };
    let [ContentBlock::Text(text)] = result.content.as_slice() else {
        return None;
    };
    if result.meta.is_some() || text.meta.is_some() || text.annotations.is_some() {
        return None;
    }
    let structured = result.structured_content.as_ref()?;
    let mut line = Vec::with_capacity(text.text.len() * 2 + 128);
    line.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
    serde_json::to_writer(&mut line, &response.id).ok()?;
    line.extend_from_slice(br#","result":{"#);
    if let Some(kind) = &result.result_type {
        line.extend_from_slice(br#""resultType":"#);
        push_json_string(&mut line, kind.as_str());
        line.push(b',');
    }
    line.extend_from_slice(br#""content":[{"type":"text","text":"#);
    push_json_string(&mut line, &text.text);
    line.extend_from_slice(br#"}],"structuredContent":"#);
    serde_json::to_writer(&mut line, structured).ok()?;
    match result.is_error {
        Some(true) => line.extend_from_slice(br#","isError":true"#),
        Some(false) => line.extend_from_slice(br#","isError":false"#),
        None => {}
    }
    line.extend_from_slice(b"}}\n");
    Some(line)
}

/// `s` as a JSON string, escaped as serde_json escapes it: `"`, `\\` and the control characters,
/// with the short forms where JSON has them.
fn push_json_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x08 => b'b',
            0x0c => b'f',
            0x00..=0x1f => b'u',
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        out.push(b'\\');
        out.push(short);
        if short == b'u' {
            out.extend_from_slice(&[b'0', b'0', hex_digit(b >> 4), hex_digit(b & 0xf)]);
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

/// The lower-case hex digit for `n` (0 to 15).
fn hex_digit(n: u8) -> u8 {
    if n < 10 { b'0' + n } else { b'a' + n - 10 }
}

fn finished_writer(written: Result<io::Result<()>, tokio::task::JoinError>) -> Result<(), String> {
    match written {
        Ok(Ok(())) => Ok(()),
        // The client went away: nothing left to answer, not an error of ours.
        Ok(Err(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Ok(Err(e)) => Err(format!("writing to stdout failed: {e}")),
        Err(e) if e.is_cancelled() => Ok(()),
        Err(e) => Err(format!("the stdout writer stopped: {e}")),
    }
}

/// Why a well-formed envelope was refused when it fits no MCP message.
const NO_MCP_MESSAGE: &str = "the message fits no MCP request, notification or response";

/// Parses a line that passed [`check_line`] into rmcp's message type: `Ok(None)` for a
/// notification rmcp has no type for (notifications are never answered, so it is dropped). A
/// well-formed envelope whose content fits no MCP message (a batch, a response with both a result
/// and an error) is answered with Invalid Request, naming the message's id.
fn parse_message(line: &[u8]) -> Result<Option<RxJsonRpcMessage<RoleServer>>, Rejection> {
    let line = message_bytes(line);
    let e = match serde_json::from_slice::<RxJsonRpcMessage<RoleServer>>(line) {
        Ok(message) => return Ok(Some(message)),
        Err(e) => e,
    };
    let value = serde_json::from_slice::<Value>(line).unwrap_or(Value::Null);
    match value.get("id") {
        Some(id @ (Value::String(_) | Value::Number(_))) => {
            Err(Rejection::invalid(id.clone(), NO_MCP_MESSAGE))
        }
        _ if value.get("method").is_some() => {
            tracing::debug!("dropping a notification that fits no MCP message: {e}");
            Ok(None)
        }
        _ => Err(Rejection::invalid(Value::Null, NO_MCP_MESSAGE)),
    }
}

/// The short way in for `tools/call`, the request that comes in bulk: read straight into its
/// typed form, in place of both [`check_line`] and rmcp's general parse, which buffers every
/// message whole and tries each kind of message in turn (about a sixth of a call's CPU in a
/// profile). It takes only what `check_line` would pass (valid JSON within the nesting limit,
/// `"jsonrpc": "2.0"`, a string or number id, a string method) and gives the same message as
/// rmcp: `_meta` moves to the request's extensions as rmcp does it. Anything else (another
/// method, an unknown member, a malformed id or params) goes the general way, which decides.
fn parse_tool_call(line: &[u8]) -> Option<RxJsonRpcMessage<RoleServer>> {
    use rmcp::model::{
        CallToolRequest, CallToolRequestParams, ClientRequest, JsonRpcMessage, JsonRpcRequest,
        NumberOrString,
    };
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Call<'a> {
        jsonrpc: IsVersion2,
        id: NumberOrString,
        #[serde(borrow)]
        method: std::borrow::Cow<'a, str>,
        params: CallToolRequestParams,
    }
    let call: Call = serde_json::from_slice(line).ok()?;
    if !call.jsonrpc.0 || call.method != "tools/call" {
        return None;
    }
    let mut params = call.params;
    let meta = params.meta.take();
    let mut request = CallToolRequest::new(params);
    if let Some(meta) = meta {
        request.extensions.insert(meta);
    }
    Some(JsonRpcMessage::Request(JsonRpcRequest::new(
        call.id,
        ClientRequest::CallToolRequest(request),
    )))
}

/// Reads `input` line by line, never keeping more than [`MAX_LINE_BYTES`] of a line: good lines
/// go to rmcp as parsed messages, answers to bad ones to the writer. Ends at end of input (a last
/// line without a newline is dropped, as rmcp does), which rmcp sees as the end of the session.
async fn read_lines<R>(
    input: R,
    messages: mpsc::Sender<RxJsonRpcMessage<RoleServer>>,
    answers: mpsc::Sender<Vec<u8>>,
) -> io::Result<()>
where
    R: AsyncRead + Unpin,
{
    let mut input = BufReader::with_capacity(PIPE_BYTES, input);
    let mut line: Vec<u8> = Vec::new();
    let mut too_long = false;
    loop {
        let (used, complete) = {
            let chunk = input.fill_buf().await?;
            if chunk.is_empty() {
                break;
            }
            let newline = chunk.iter().position(|b| *b == b'\n');
            let (part, used) = match newline {
                Some(at) => (chunk.split_at(at).0, at.saturating_add(1)),
                None => (chunk, chunk.len()),
            };
            if !too_long {
                if line.len().saturating_add(part.len()) > MAX_LINE_BYTES {
                    too_long = true;
                    line.clear();
                } else {
                    line.extend_from_slice(chunk.split_at(used).0);
                }
            }
            (used, newline.is_some())
        };
        input.consume(used);
        if !complete {
            continue;
        }
        // A well-formed `tools/call` needs no separate envelope check: its short parse checks
        // the same things (see `parse_tool_call`).
        let parsed = if too_long {
            too_long = false;
            tracing::debug!(limit = MAX_LINE_BYTES, "stdin line over the size limit");
            Err(Rejection::parse(format!(
                "the line is longer than {MAX_LINE_BYTES} bytes"
            )))
        } else if let Some(call) = parse_tool_call(message_bytes(&line)) {
            Ok(Some(call))
        } else {
            match check_line(&line) {
                Verdict::Pass => parse_message(&line),
                Verdict::Skip => Ok(None),
                Verdict::Reject(r) => Err(r),
            }
        };
        match parsed {
            Ok(Some(m)) => {
                if messages.send(m).await.is_err() {
                    break; // rmcp has stopped reading: the session is over.
                }
            }
            Ok(None) => {}
            Err(r) => {
                tracing::debug!(code = r.code, reason = %r.reason, "answering a bad stdin line");
                if answers.send(r.to_line()).await.is_err() {
                    break;
                }
            }
        }
        line.clear();
        if line.capacity() > KEEP_LINE_CAPACITY {
            line.shrink_to(PIPE_BYTES);
        }
    }
    Ok(())
}

/// The only writer of `output`: whole lines, rmcp's answers and the line checks' alike. The
/// lines already queued behind one go out with it in one write: a burst of answers costs one
/// system call, not one per answer. Ends once every sender is gone and the queue is empty.
async fn write_lines<W>(mut lines: mpsc::Receiver<Vec<u8>>, mut output: W) -> io::Result<()>
where
    W: AsyncWrite + Unpin,
{
    let mut batch: Vec<u8> = Vec::new();
    while let Some(first) = lines.recv().await {
        match lines.try_recv() {
            Err(_) => output.write_all(&first).await?,
            Ok(second) => {
                batch.extend_from_slice(&first);
                batch.extend_from_slice(&second);
                while batch.len() < PIPE_BYTES {
                    let Ok(next) = lines.try_recv() else { break };
                    batch.extend_from_slice(&next);
                }
                output.write_all(&batch).await?;
                batch.clear();
                if batch.capacity() > KEEP_LINE_CAPACITY {
                    batch.shrink_to(PIPE_BYTES);
                }
            }
        }
        output.flush().await?;
    }
    output.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The hand-written answer line is byte for byte serde's, for every shape it takes on, and
    /// it steps aside for every shape it does not know.
    #[test]
    fn tool_answer_line_is_serdes_line() {
        use rmcp::model::{
            Annotations, CallToolResult, ContentBlock, NumberOrString, ServerJsonRpcMessage,
            ServerResult, TextContent,
        };
        let message = |r: CallToolResult, id: NumberOrString| -> TxJsonRpcMessage<RoleServer> {
            ServerJsonRpcMessage::response(ServerResult::CallToolResult(r), id)
        };
        let with_text = |mut r: CallToolResult, text: &str| {
            r.content = vec![ContentBlock::text(text)];
            r
        };
        let awkward = "q\"b\\s/ n\n r\r t\t b\u{8} f\u{c} c\u{1}\u{1f}\u{7f} é ✓ 😀 </x>";
        let mut legacy = with_text(CallToolResult::structured(json!({"ok": true})), "{}");
        legacy.result_type = None;
        let mut no_flag = with_text(CallToolResult::structured(json!(1)), "1");
        no_flag.is_error = None;
        let known = [
            message(
                with_text(
                    CallToolResult::structured(json!({"ok": true, "data": {"s": awkward}})),
                    &json!({"ok": true, "data": {"s": awkward}}).to_string(),
                ),
                NumberOrString::Number(7),
            ),
            message(
                with_text(
                    CallToolResult::structured_error(json!({"ok": false})),
                    "<<fenced>> \"text\"",
                ),
                NumberOrString::String("id \"with\" quotes".into()),
            ),
            message(legacy, NumberOrString::Number(-1)),
            message(no_flag, NumberOrString::String("".into())),
            message(
                with_text(CallToolResult::structured(json!(null)), ""),
                NumberOrString::Number(0),
            ),
        ];
        for m in &known {
            let mut expected = serde_json::to_vec(m).expect("serialise");
            expected.push(b'\n');
            let got = tool_answer_line(m).expect("a known shape");
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&expected)
            );
        }

        let annotated = {
            let mut r = CallToolResult::structured(json!({}));
            r.content = vec![ContentBlock::Text(
                TextContent::new("{}").with_annotations(Annotations::default()),
            )];
            r
        };
        let two_blocks = {
            let mut r = CallToolResult::structured(json!({}));
            r.content = vec![ContentBlock::text("a"), ContentBlock::text("b")];
            r
        };
        let with_meta = {
            let mut r = with_text(CallToolResult::structured(json!({})), "{}");
            r.meta = Some(rmcp::model::MetaObject::default());
            r
        };
        let unstructured = CallToolResult::success(vec![ContentBlock::text("plain")]);
        for r in [annotated, two_blocks, with_meta, unstructured] {
            assert!(tool_answer_line(&message(r, NumberOrString::Number(1))).is_none());
        }
        let other =
            ServerJsonRpcMessage::response(ServerResult::empty(()), NumberOrString::Number(2));
        assert!(tool_answer_line(&other).is_none());
    }

    fn rejected(line: &[u8]) -> Rejection {
        match check_line(line) {
            Verdict::Reject(r) => r,
            other => panic!("{:?} gave {other:?}", String::from_utf8_lossy(line)),
        }
    }

    #[test]
    fn good_messages_pass() {
        for line in [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
            r#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"x":[1,{"y":null}]}}"#,
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            r#"{"id":3,"result":{},"jsonrpc":"2.0"}"#,
            r#"{"jsonrpc":"2.0","id":4,"error":{"code":1,"message":"m"}}"#,
            "\u{feff}{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":5}\r\n",
            r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
            r#"{"json\u0072pc":"2.0","id":1,"method":"ping"}"#,
        ] {
            assert_eq!(check_line(line.as_bytes()), Verdict::Pass, "{line}");
        }
    }

    #[test]
    fn blank_lines_and_unmatchable_responses_are_skipped() {
        for line in [
            "",
            "\n",
            "  \t\r\n",
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}"#,
        ] {
            assert_eq!(check_line(line.as_bytes()), Verdict::Skip, "{line}");
        }
    }

    #[test]
    fn broken_json_is_a_parse_error_with_a_null_id() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let deep_in_params = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"x","params":{}1{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        let deep_id = format!(
            r#"{{"jsonrpc":"2.0","id":{}1{},"method":"x"}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        for line in [
            b"{not json".as_slice(),
            br#"{"jsonrpc":"2.0","id":1"#,
            br#"{"jsonrpc":"2.0","id":1} {"#,
            b"\xff\xfe{}",
            b"{\"jsonrpc\":\"2.0\",\"method\":\"\xc3\x28\",\"id\":1}",
            b"{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"id\":1,\"params\":\"\xed\xa0\x80\"}",
            deep.as_bytes(),
            deep_in_params.as_bytes(),
            deep_id.as_bytes(),
        ] {
            let r = rejected(line);
            assert_eq!((r.code, &r.id), (PARSE_ERROR, &Value::Null));
        }
        let shallow = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"x","params":{{"a":{}1{}}}}}"#,
            "[".repeat(100),
            "]".repeat(100)
        );
        assert_eq!(check_line(shallow.as_bytes()), Verdict::Pass);
        // serde_json's limit: 127 levels pass, 128 do not (the same limit rmcp parses with).
        let at = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert_eq!(check_line(at(127).as_bytes()), Verdict::Pass);
        assert_eq!(rejected(at(128).as_bytes()).code, PARSE_ERROR);
    }

    #[test]
    fn json_that_is_not_a_message_is_an_invalid_request() {
        for (line, id) in [
            ("42", Value::Null),
            ("\"hi\"", Value::Null),
            ("null", Value::Null),
            ("[]", Value::Null),
            (r#"{"foo":1}"#, Value::Null),
            (r#"{"jsonrpc":"2.0","id":7}"#, json!(7)),
            (r#"{"jsonrpc":"2.0","id":"s-1","params":{}}"#, json!("s-1")),
            (r#"{"jsonrpc":"1.0","id":8,"method":"ping"}"#, json!(8)),
            (r#"{"id":9,"method":"ping"}"#, json!(9)),
            (r#"{"jsonrpc":2.0,"id":10,"method":"ping"}"#, json!(10)),
            (r#"{"jsonrpc":"2.0","id":11,"method":["ping"]}"#, json!(11)),
            (
                r#"{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}"#,
                Value::Null,
            ),
            (
                r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
                Value::Null,
            ),
            (r#"{"jsonrpc":"2.0","id":true}"#, Value::Null),
        ] {
            let r = rejected(line.as_bytes());
            assert_eq!((r.code, &r.id), (INVALID_REQUEST, &id), "{line}");
        }
    }

    #[test]
    fn answers_are_one_json_rpc_line() {
        let line = rejected(br#"{"jsonrpc":"2.0","id":"q"}"#).to_line();
        assert_eq!(line.last(), Some(&b'\n'));
        assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
        let v: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(v["jsonrpc"], "2.0");
        assert_eq!(v["id"], "q");
        assert_eq!(v["error"]["code"], INVALID_REQUEST);
        assert_eq!(v["error"]["message"], "Invalid Request");
        let v: Value = serde_json::from_slice(&Rejection::parse("x").to_line()).unwrap();
        assert_eq!(v["error"]["message"], "Parse error");
        assert_eq!(v["id"], Value::Null);
    }

    /// Runs the reader over `input`; returns (the messages handed to rmcp, as JSON, and the
    /// answers to bad lines).
    async fn read_all(input: Vec<u8>) -> (Vec<Value>, Vec<Value>) {
        let (messages, mut passed) = mpsc::channel(4);
        let (tx, mut rx) = mpsc::channel(64);
        let reader = tokio::spawn(read_lines(std::io::Cursor::new(input), messages, tx));
        let mut out = Vec::new();
        while let Some(m) = passed.recv().await {
            out.push(serde_json::to_value(&m).unwrap());
        }
        reader.await.unwrap().unwrap();
        let mut answers = Vec::new();
        while let Some(a) = rx.recv().await {
            answers.push(serde_json::from_slice(&a).unwrap());
        }
        (out, answers)
    }

    #[tokio::test]
    async fn the_reader_passes_good_lines_on_and_answers_bad_ones() {
        let good = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r\n";
        let mut input = Vec::new();
        input.extend_from_slice(b"\n{oops\n");
        input.extend_from_slice(good.as_bytes());
        input.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 10));
        input.extend_from_slice(b"\n42\n");
        input.extend_from_slice(good.as_bytes());
        input.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}");
        let (passed, answers) = read_all(input).await;
        let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
        assert_eq!(passed, vec![ping.clone(), ping]);
        let codes: Vec<_> = answers.iter().map(|a| a["error"]["code"].clone()).collect();
        assert_eq!(
            codes,
            vec![
                json!(PARSE_ERROR),
                json!(PARSE_ERROR),
                json!(INVALID_REQUEST)
            ]
        );
        assert!(
            answers[1]["error"]["data"]
                .as_str()
                .unwrap()
                .contains("longer than")
        );
    }

    #[tokio::test]
    async fn envelopes_that_fit_no_mcp_message_are_answered_or_dropped() {
        let input = concat!(
            // A response with both a result and an error: answered, naming its id.
            "{\"jsonrpc\":\"2.0\",\"id\":\"bad\",\"result\":{},\"error\":{\"code\":1,\"message\":\"m\"}}\n",
            // A batch: rmcp has no batches, so Invalid Request with no id.
            "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]\n",
            // A notification nobody defines: dropped, never answered.
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/made_up\",\"params\":7}\n",
            "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\"}\n",
        );
        let (passed, answers) = read_all(input.as_bytes().to_vec()).await;
        assert_eq!(
            passed,
            vec![json!({"jsonrpc": "2.0", "id": 9, "method": "ping"})]
        );
        let got: Vec<_> = answers
            .iter()
            .map(|a| (a["error"]["code"].clone(), a["id"].clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (json!(INVALID_REQUEST), json!("bad")),
                (json!(INVALID_REQUEST), Value::Null)
            ]
        );
    }

    #[test]
    fn the_short_way_for_tool_calls_gives_rmcp_s_own_message() {
        use rmcp::model::{ClientRequest, JsonRpcMessage};
        let taken = [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_config","arguments":{"slug":"s"}}}"#,
            r#"{"params":{"arguments":{"n":1.5,"big":18446744073709551615,"neg":-3,"u":"\u00e9\n","deep":[{"a":null}]},"name":"x"},"method":"tools/call","id":"abc","jsonrpc":"2.0"}"#,
            r#"{"jsonrpc":"2.0","id":-7,"method":"tools/call","params":{"name":"t","_meta":{"progressToken":"p1","other":2}}}"#,
            r#"{"jsonrpc":"2.0","id":8,"method":"tools\/call","params":{"name":"t","arguments":{},"_meta":null,"extra":true}}"#,
            r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"t","requestState":"st"}}"#,
        ];
        for line in taken {
            let fast = parse_tool_call(line.as_bytes()).unwrap_or_else(|| panic!("{line}"));
            let general: RxJsonRpcMessage<RoleServer> = serde_json::from_str(line).unwrap();
            assert_eq!(
                serde_json::to_value(&fast).unwrap(),
                serde_json::to_value(&general).unwrap(),
                "{line}"
            );
            let meta = |m: &RxJsonRpcMessage<RoleServer>| match m {
                JsonRpcMessage::Request(r) => match &r.request {
                    ClientRequest::CallToolRequest(c) => (
                        c.params.meta.clone(),
                        c.extensions
                            .get::<rmcp::model::RequestMetaObject>()
                            .cloned(),
                    ),
                    other => panic!("{other:?}"),
                },
                other => panic!("{other:?}"),
            };
            assert_eq!(meta(&fast), meta(&general), "{line}");
        }
        // Everything else goes the general way.
        for line in [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"name":"x"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"},"result":{}}"#,
            r#"{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"x"}}"#,
            r#"{"jsonrpc":"2.0","id":1.5,"method":"tools/call","params":{"name":"x"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":5}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call"}"#,
            r#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"x"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/call","params":{"name":"x"}}"#,
            // What check_line refuses, the short way refuses too.
            r#"{"jsonrpc":"1.0","id":1,"method":"tools/call","params":{"name":"x"}}"#,
            r#"{"jsonrpc":2,"id":1,"method":"tools/call","params":{"name":"x"}}"#,
            r#"{"id":1,"method":"tools/call","params":{"name":"x"}}"#,
        ] {
            assert!(parse_tool_call(line.as_bytes()).is_none(), "{line}");
        }
    }

    #[tokio::test]
    async fn answers_queued_together_come_out_whole_and_in_order() {
        let (out_tx, mut out_rx) = tokio::io::duplex(4 * PIPE_BYTES);
        let (lines, lines_rx) = mpsc::channel::<Vec<u8>>(OUT_QUEUE);
        let writer = tokio::spawn(write_lines(lines_rx, out_tx));
        // A burst waiting at once, then stragglers one by one.
        for i in 0..200 {
            let line = format!("{{\"jsonrpc\":\"2.0\",\"id\":{i},\"result\":{{}}}}\n");
            lines.send(line.into_bytes()).await.unwrap();
        }
        tokio::task::yield_now().await;
        for i in 200..=500 {
            let line = format!("{{\"jsonrpc\":\"2.0\",\"id\":{i},\"result\":{{}}}}\n");
            lines.send(line.into_bytes()).await.unwrap();
            if i % 50 == 0 {
                tokio::task::yield_now().await;
            }
        }
        drop(lines);
        writer.await.unwrap().unwrap();
        let mut out = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut out_rx, &mut out)
            .await
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        let ids: Vec<i64> = text
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["id"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        assert_eq!(ids, (0..=500).collect::<Vec<_>>());
        assert!(text.ends_with("}\n"));
    }

    #[tokio::test]
    async fn a_line_of_exactly_the_limit_is_accepted() {
        let pad = MAX_LINE_BYTES - r#"{"jsonrpc":"2.0","id":1,"method":"ping","p":""}"#.len();
        let line = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"ping","p":"{}"}}"#,
            "a".repeat(pad)
        );
        assert_eq!(line.len(), MAX_LINE_BYTES);
        let (passed, answers) = read_all(format!("{line}\n").into_bytes()).await;
        assert!(answers.is_empty());
        assert_eq!(
            passed,
            vec![json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})]
        );
        let (passed, answers) = read_all(format!("{line} \n").into_bytes()).await;
        assert!(passed.is_empty());
        assert_eq!(answers.len(), 1);
    }
}
