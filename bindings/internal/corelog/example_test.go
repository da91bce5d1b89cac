package corelog_test

import (
	"errors"
	"os"
	"time"

	"github.com/funcsignalr/funcsignalr/bindings/internal/corelog"
)

func Example() {
	// A fixed clock keeps the example's output stable; a runner leaves Now nil.
	now := time.Date(2024, 10, 7, 21, 8, 50, 40_000_000, time.UTC)
	log := corelog.New(os.Stdout, &corelog.Options{Now: func() time.Time { return now }})

	inv := log.Start("negotiate", corelog.ReasonHostCall, "9113238c-28cc-4e95-8e40-ca6ed1c49f18")
	inv.Logs("negotiated for alice", "handler text cannot fake\na new line")
	inv.End(nil)

	inv = log.Start("broadcast", corelog.TriggerReason("signalRTrigger", now), "0f8fad5b-d9cb-469f-a165-70867728950e")
	inv.End(errors.New("the handler answered 500"))
	// Output:
	// [2024-10-07T21:08:50.040Z] Executing 'Functions.negotiate' (Reason='This function was programmatically called via the host APIs.', Id=9113238c-28cc-4e95-8e40-ca6ed1c49f18)
	// [2024-10-07T21:08:50.040Z] negotiated for alice
	// [2024-10-07T21:08:50.040Z] handler text cannot fake\na new line
	// [2024-10-07T21:08:50.040Z] Executed 'Functions.negotiate' (Succeeded, Id=9113238c-28cc-4e95-8e40-ca6ed1c49f18, Duration=0ms)
	// [2024-10-07T21:08:50.040Z] Executing 'Functions.broadcast' (Reason='(null)', Id=0f8fad5b-d9cb-469f-a165-70867728950e)
	// [2024-10-07T21:08:50.040Z] Executed 'Functions.broadcast' (Failed, Id=0f8fad5b-d9cb-469f-a165-70867728950e, Duration=0ms)
	// [2024-10-07T21:08:50.040Z] Exception while executing function: Functions.broadcast. the handler answered 500.
}
