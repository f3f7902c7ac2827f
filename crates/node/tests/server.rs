//! The node over real sockets: who may call it, how much one request may
//! ask, and that subscriptions die with their connection (issue #18, item 5).
//! Plain HTTP/1.1 and WebSocket frames over `std::net::TcpStream`, so what
//! is sent is exactly what is written here.
#![allow(missing_docs)]

use std::{
    fmt::Write as _,
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    time::{Duration, Instant},
};

use labelmint_node::{Config, NodeHandle};
use serde_json::{json, Value};

const DEV0: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const DEV1: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

fn start(config: Config) -> (tokio::runtime::Runtime, NodeHandle) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let node = rt
        .block_on(labelmint_node::start(Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..config
        }))
        .unwrap();
    (rt, node)
}

/// POSTs `body` with `headers` (a `Host` is added unless given); returns
/// the status code and the body.
fn post(addr: SocketAddr, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_mins(1))).unwrap();
    let mut head =
        "POST / HTTP/1.1\r\nContent-Type: application/json\r\nConnection: close\r\n".to_string();
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        let _ = write!(head, "Host: {addr}\r\n");
    }
    for (k, v) in headers {
        let _ = write!(head, "{k}: {v}\r\n");
    }
    let _ = write!(head, "Content-Length: {}\r\n\r\n", body.len());
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn call(method: &str, params: &Value) -> String {
    json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string()
}

/// The JSON of a body that may be chunked (`Transfer-Encoding: chunked`).
fn json_of(body: &str) -> Value {
    if let Ok(v) = serde_json::from_str(body) {
        return v;
    }
    let start = body.find(['{', '[']).unwrap_or(0);
    let end = body.rfind(['}', ']']).map_or(body.len(), |e| e + 1);
    serde_json::from_str(&body[start..end]).unwrap_or(Value::Null)
}

#[test]
fn foreign_origins_and_rebound_hosts_are_refused() {
    let (_rt, node) = start(Config::default());
    let chain_id = call("eth_chainId", &json!([]));
    let (status, body) = post(node.addr, &[], &chain_id);
    assert_eq!(
        (status, json_of(&body)["result"].clone()),
        (200, json!("0x64aba"))
    );
    let (status, _) = post(node.addr, &[("Origin", "http://localhost:3000")], &chain_id);
    assert_eq!(status, 200, "a local page may use the node");
    // Any web page the user visits: refused.
    let (status, body) = post(node.addr, &[("Origin", "https://evil.example")], &chain_id);
    assert_eq!(status, 403, "{body}");
    // DNS rebinding: the page's own name in Host, resolving to 127.0.0.1.
    let (status, _) = post(node.addr, &[("Host", "evil.example:8547")], &chain_id);
    assert_eq!(status, 403);
    node.stop();
}

#[test]
fn batches_over_the_limit_are_refused_whole() {
    let (_rt, node) = start(Config::default());
    let batch = |n: usize| {
        let calls: Vec<Value> = (0..n)
            .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "eth_chainId", "params": []}))
            .collect();
        Value::Array(calls).to_string()
    };
    let (_, body) = post(node.addr, &[], &batch(labelmint_node::MAX_BATCH as usize));
    assert_eq!(
        json_of(&body).as_array().map(Vec::len),
        Some(labelmint_node::MAX_BATCH as usize)
    );
    let (_, body) = post(node.addr, &[], &batch(10_000));
    let answer = json_of(&body);
    assert!(
        answer.is_object(),
        "one error, not 10,000 answers: {body:.200}"
    );
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("batch"));
    node.stop();
}

#[test]
fn dev_keys_sign_only_for_local_origins() {
    let (_rt, node) = start(Config {
        allowed_origins: vec!["https://app.example".into()],
        ..Config::default()
    });
    let send = call(
        "eth_sendTransaction",
        &json!([{ "from": DEV0, "to": DEV1, "value": "0x1" }]),
    );
    let app = [("Origin", "https://app.example")];
    // The allowed page may read…
    let (status, body) = post(node.addr, &app, &call("eth_chainId", &json!([])));
    assert_eq!(
        (status, json_of(&body)["result"].clone()),
        (200, json!("0x64aba"))
    );
    // …but not spend the dev accounts' money.
    let (_, body) = post(node.addr, &app, &send);
    let answer = json_of(&body);
    assert_eq!(answer["error"]["code"], json!(-32000), "{body}");
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("local origins"));
    // A tool on this machine may.
    let (_, body) = post(node.addr, &[], &send);
    assert!(json_of(&body)["result"].is_string(), "{body}");
    node.stop();
}

// ---- WebSocket (RFC 6455) by hand: a handshake, masked client frames.

fn ws_connect(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_mins(1))).unwrap();
    let head = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    s.write_all(head.as_bytes()).unwrap();
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).unwrap();
        buf.push(byte[0]);
    }
    assert!(
        String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&buf)
    );
    s
}

fn ws_send(s: &mut TcpStream, text: &str) {
    let payload = text.as_bytes();
    let mut frame = vec![0x81];
    if payload.len() < 126 {
        frame.push(0x80 | payload.len() as u8);
    } else {
        frame.push(0x80 | 0x7e);
        frame.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    }
    // Mask key 0: XOR with zero leaves the payload as is.
    frame.extend_from_slice(&0u32.to_be_bytes());
    frame.extend_from_slice(payload);
    s.write_all(&frame).unwrap();
}

fn ws_read(s: &mut TcpStream) -> Value {
    let mut head = [0u8; 2];
    s.read_exact(&mut head).unwrap();
    let len = match head[1] & 0x7f {
        126 => {
            let mut l = [0u8; 2];
            s.read_exact(&mut l).unwrap();
            u64::from(u16::from_be_bytes(l))
        }
        127 => {
            let mut l = [0u8; 8];
            s.read_exact(&mut l).unwrap();
            u64::from_be_bytes(l)
        }
        n => u64::from(n),
    };
    let mut payload = vec![0u8; len as usize];
    s.read_exact(&mut payload).unwrap();
    serde_json::from_slice(&payload).unwrap_or(Value::Null)
}

#[test]
fn subscriptions_end_when_their_connection_closes() {
    let (_rt, node) = start(Config::default());
    let mut ws = ws_connect(node.addr);
    ws_send(&mut ws, &call("eth_subscribe", &json!(["newHeads"])));
    let answer = ws_read(&mut ws);
    assert!(!answer["result"].is_null(), "{answer}");
    assert_eq!(node.active_subscriptions(), 1);
    drop(ws);
    // No block is mined: the subscription must notice the closed
    // connection by itself. Wait for it (bounded), then check.
    let deadline = Instant::now() + Duration::from_mins(1);
    while node.active_subscriptions() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(node.active_subscriptions(), 0);
    node.stop();
}

#[test]
fn malformed_log_filters_are_refused_not_widened() {
    let (_rt, node) = start(Config::default());
    let mut ws = ws_connect(node.addr);
    ws_send(
        &mut ws,
        &call("eth_subscribe", &json!(["logs", { "address": "nonsense" }])),
    );
    let answer = ws_read(&mut ws);
    assert_eq!(answer["error"]["code"], json!(-32602), "{answer}");
    ws_send(
        &mut ws,
        &call("eth_subscribe", &json!(["logs", { "address": DEV1 }])),
    );
    assert!(!ws_read(&mut ws)["result"].is_null());
    node.stop();
}

#[test]
fn malformed_params_get_32602_naming_the_parameter_and_unknown_methods_32601() {
    let (_rt, node) = start(Config::default());
    for (method, params, expect) in [
        ("eth_getBalance", json!(["nope"]), "param 0 (address)"),
        ("eth_getStorageAt", json!([DEV0]), "missing param 1 (slot)"),
        (
            "eth_getCode",
            json!({ "address": DEV0 }),
            "must be an array",
        ),
        ("anvil_setCode", json!([DEV1, "0xef0100"]), "invalid code"),
        ("evm_mine", json!(["soon"]), "param 0 (timestamp)"),
        ("eth_chainId", json!([1, 2]), "takes at most 0 params"),
    ] {
        let (status, body) = post(node.addr, &[], &call(method, &params));
        assert_eq!(status, 200);
        let error = &json_of(&body)["error"];
        assert_eq!(error["code"], json!(-32602), "{method}: {body}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains(expect), "{method}: {message}");
    }
    let (_, body) = post(node.addr, &[], &call("eth_signTypedData_v9", &json!([])));
    assert_eq!(json_of(&body)["error"]["code"], json!(-32601), "{body}");
    // The node still answers.
    let (_, body) = post(node.addr, &[], &call("eth_chainId", &json!([])));
    assert_eq!(json_of(&body)["result"], json!("0x64aba"));
    node.stop();
}
