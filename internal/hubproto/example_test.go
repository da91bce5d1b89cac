package hubproto_test

import (
	"fmt"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

// A server answers an invoke() with a Completion in the caller's protocol.
func ExampleProtocol_AppendFrame() {
	m := hubproto.Message{
		Type:         hubproto.TypeCompletion,
		InvocationID: "0",
		Result:       hubproto.ValueOf(map[string]int{"sum": 3}),
		HasResult:    true,
	}
	j, _ := hubproto.JSON.AppendFrame(nil, &m)
	mp, _ := hubproto.MessagePack.AppendFrame(nil, &m)
	fmt.Printf("%q\n% x\n", j, mp)
	// Output:
	// "{\"type\":3,\"invocationId\":\"0\",\"result\":{\"sum\":3}}\x1e"
	// 0c 95 03 80 a1 30 03 81 a3 73 75 6d 03
}

// Reading a stream of records: parse until ErrIncomplete, keep the rest.
func ExampleProtocol_ParseFrame() {
	buf := []byte("{\"type\":1,\"target\":\"send\",\"arguments\":[\"hi\"]}\x1e{\"type\":6}\x1e{\"type\"")
	for {
		m, n, err := hubproto.JSON.ParseFrame(buf)
		if err == hubproto.ErrIncomplete {
			break
		}
		if err != nil {
			fmt.Println("bad record:", err)
		} else {
			fmt.Println(m.Type, m.Target, m.Arguments)
		}
		buf = buf[n:]
	}
	fmt.Printf("left: %q\n", buf)
	// Output:
	// Invocation send ["hi"]
	// Ping  []
	// left: "{\"type\""
}

// A JSON argument decodes into a Go value, and converts to MessagePack for
// a client on the other protocol.
func ExampleValue_Decode() {
	v := hubproto.JSONValue([]byte(`{"text":"hello","n":2}`))
	var msg struct {
		Text string `json:"text"`
		N    int    `json:"n"`
	}
	if err := v.Decode(&msg); err != nil {
		panic(err)
	}
	mp, _ := v.MessagePack()
	fmt.Println(msg.Text, msg.N)
	fmt.Printf("% x\n", mp)
	// Output:
	// hello 2
	// 82 a4 74 65 78 74 a5 68 65 6c 6c 6f a1 6e 02
}

func ExampleParseHandshakeRequest() {
	buf := []byte("{\"protocol\":\"messagepack\",\"version\":1}\x1e\x02\x91\x06")
	req, n, err := hubproto.ParseHandshakeRequest(buf)
	if err != nil {
		panic(err)
	}
	p, ok := hubproto.ProtocolByName(req.Protocol)
	fmt.Println(p.Name(), ok, req.Version)
	fmt.Printf("%q\n", hubproto.AppendHandshakeResponse(nil, ""))
	m, _, _ := p.ParseFrame(buf[n:])
	fmt.Println(m.Type)
	// Output:
	// messagepack true 1
	// "{}\x1e"
	// Ping
}
