// Command go-reader reads the JSON documents agent-sessions stores the way a Go service on
// trpc-agent-go reads them: with encoding/json, into structs of the same JSON shape as
// trpc-agent-go's (event.Event with its embedded model.Response, the postgres session state
// envelope, session.Summary, session.TrackEvent), then writes them back with json.Marshal.
//
// It uses the standard library only, so it builds with any Go from 1.19 on and without a module
// download. The structs are declared here from SPEC.md's description of the stored documents;
// field names, Go types and omitempty follow trpc-agent-go's tags.
//
// Input, one document per line: `<kind>\t<json>`, kind one of event, state, summary, track.
// Output, one line per input line: `ok\t<json.Marshal of the decoded value>` or `error\t<why>`.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

type PromptTokensDetails struct {
	CachedTokens        int `json:"cached_tokens"`
	CacheCreationTokens int `json:"cache_creation_tokens,omitempty"`
	CacheReadTokens     int `json:"cache_read_tokens,omitempty"`
}

type CompletionTokensDetails struct {
	ReasoningTokens int `json:"reasoning_tokens,omitempty"`
}

type TimingInfo struct {
	FirstTokenDuration time.Duration `json:"time_to_first_token,omitempty"`
	ReasoningDuration  time.Duration `json:"reasoning_duration,omitempty"`
}

type Usage struct {
	PromptTokens            int                     `json:"prompt_tokens"`
	CompletionTokens        int                     `json:"completion_tokens"`
	TotalTokens             int                     `json:"total_tokens"`
	PromptTokensDetails     PromptTokensDetails     `json:"prompt_tokens_details"`
	CompletionTokensDetails CompletionTokensDetails `json:"completion_tokens_details"`
	TimingInfo              *TimingInfo             `json:"timing_info,omitempty"`
}

type Image struct {
	URL    string `json:"url"`
	Data   []byte `json:"data"`
	Detail string `json:"detail,omitempty"`
	Format string `json:"format,omitempty"`
}

type Audio struct {
	URL    string `json:"url,omitempty"`
	Data   []byte `json:"data"`
	Format string `json:"format"`
}

type Video struct {
	URL    string `json:"url,omitempty"`
	Data   []byte `json:"data"`
	Format string `json:"format,omitempty"`
}

type File struct {
	Name     string `json:"filename"`
	URL      string `json:"url,omitempty"`
	Data     []byte `json:"data"`
	FileID   string `json:"file_id"`
	MimeType string `json:"format,omitempty"`
}

type ContentRef struct {
	ArtifactRef     string `json:"artifact_ref"`
	ArtifactName    string `json:"artifact_name,omitempty"`
	ArtifactVersion int    `json:"artifact_version"`
	MimeType        string `json:"mime_type,omitempty"`
	SizeBytes       int64  `json:"size_bytes,omitempty"`
	SHA256          string `json:"sha256,omitempty"`
	OriginalName    string `json:"original_name,omitempty"`
	EventID         string `json:"event_id,omitempty"`
	RequestID       string `json:"request_id,omitempty"`
}

type ContentPart struct {
	Type       string      `json:"type"`
	Text       *string     `json:"text,omitempty"`
	Image      *Image      `json:"image,omitempty"`
	Audio      *Audio      `json:"audio,omitempty"`
	Video      *Video      `json:"video,omitempty"`
	File       *File       `json:"file,omitempty"`
	ContentRef *ContentRef `json:"content_ref,omitempty"`
}

// FunctionDefinitionParam's arguments are bytes in Go, written and read as a JSON string by its
// own (un)marshaler; a string field has the same JSON.
type FunctionDefinitionParam struct {
	Arguments   string `json:"arguments,omitempty"`
	Name        string `json:"name"`
	Strict      bool   `json:"strict,omitempty"`
	Description string `json:"description,omitempty"`
}

type ToolCall struct {
	Type        string                  `json:"type"`
	Function    FunctionDefinitionParam `json:"function"`
	ID          string                  `json:"id,omitempty"`
	Index       *int                    `json:"index,omitempty"`
	ExtraFields map[string]any          `json:"extra_fields,omitempty"`
}

type Message struct {
	Role               string        `json:"role"`
	Content            string        `json:"content,omitempty"`
	ContentParts       []ContentPart `json:"content_parts,omitempty"`
	ToolID             string        `json:"tool_id,omitempty"`
	ToolName           string        `json:"tool_name,omitempty"`
	ToolCalls          []ToolCall    `json:"tool_calls,omitempty"`
	ReasoningContent   string        `json:"reasoning_content,omitempty"`
	ReasoningSignature string        `json:"reasoning_signature,omitempty"`
}

type TopLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	Bytes   []int   `json:"bytes,omitempty"`
}

// TokenLogprob has TopLogprob's fields and its alternatives (an embedded struct's fields are
// read and written as the outer struct's own).
type TokenLogprob struct {
	TopLogprob
	TopLogprobs []TopLogprob `json:"top_logprobs,omitempty"`
}

type Logprobs struct {
	Content []TokenLogprob `json:"content,omitempty"`
}

type Choice struct {
	Index        int       `json:"index"`
	Message      Message   `json:"message,omitempty"`
	Delta        Message   `json:"delta,omitempty"`
	FinishReason *string   `json:"finish_reason,omitempty"`
	Logprobs     *Logprobs `json:"logprobs,omitempty"`
}

type ResponseError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param,omitempty"`
	Code    *string `json:"code,omitempty"`
}

type Response struct {
	ID                string         `json:"id"`
	Object            string         `json:"object"`
	Created           int64          `json:"created"`
	Model             string         `json:"model"`
	Choices           []Choice       `json:"choices"`
	Usage             *Usage         `json:"usage,omitempty"`
	SystemFingerprint *string        `json:"system_fingerprint,omitempty"`
	Error             *ResponseError `json:"error,omitempty"`
	Timestamp         time.Time      `json:"timestamp"`
	Done              bool           `json:"done"`
	IsPartial         bool           `json:"is_partial"`
}

type ParentMetadata struct {
	TriggerType string `json:"triggerType,omitempty"`
	TriggerID   string `json:"triggerId,omitempty"`
	TriggerName string `json:"triggerName,omitempty"`
}

type EventActions struct {
	SkipSummarization bool `json:"skipSummarization,omitempty"`
}

// Event embeds the model response, whose id and timestamp its own fields shadow; the response's
// pair is written under "response" (see MarshalJSON).
type Event struct {
	*Response
	RequestID          string                     `json:"requestID,omitempty"`
	InvocationID       string                     `json:"invocationId"`
	ParentInvocationID string                     `json:"parentInvocationId,omitempty"`
	ParentMetadata     *ParentMetadata            `json:"parentMetadata,omitempty"`
	Author             string                     `json:"author"`
	ID                 string                     `json:"id"`
	Timestamp          time.Time                  `json:"timestamp"`
	Branch             string                     `json:"branch,omitempty"`
	Tag                string                     `json:"tag,omitempty"`
	RequiresCompletion bool                       `json:"requiresCompletion,omitempty"`
	LongRunningToolIDs map[string]struct{}        `json:"longRunningToolIDs,omitempty"`
	StateDelta         map[string][]byte          `json:"stateDelta,omitempty"`
	Extensions         map[string]json.RawMessage `json:"extensions,omitempty"`
	Actions            *EventActions              `json:"actions,omitempty"`
	FilterKey          string                     `json:"filterKey,omitempty"`
	Version            int                        `json:"version,omitempty"`
}

// plainEvent has Event's fields without its methods, so (un)marshaling it does not recurse.
type plainEvent Event

type responseMeta struct {
	ID        string    `json:"id,omitempty"`
	Timestamp time.Time `json:"timestamp,omitempty"`
}

func (e Event) MarshalJSON() ([]byte, error) {
	out := struct {
		*plainEvent
		Response *responseMeta `json:"response,omitempty"`
	}{plainEvent: (*plainEvent)(&e)}
	if e.Response != nil {
		out.Response = &responseMeta{ID: e.Response.ID, Timestamp: e.Response.Timestamp}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads the flat document, then the nested response pair; a malformed pair is
// ignored, as trpc-agent-go ignores it (with a warning).
func (e *Event) UnmarshalJSON(data []byte) error {
	var flat plainEvent
	if err := json.Unmarshal(data, &flat); err != nil {
		return err
	}
	*e = Event(flat)
	var nested struct {
		Response *responseMeta `json:"response,omitempty"`
	}
	if err := json.Unmarshal(data, &nested); err != nil || nested.Response == nil {
		return nil
	}
	if e.Response == nil {
		e.Response = &Response{}
	}
	e.Response.ID = nested.Response.ID
	e.Response.Timestamp = nested.Response.Timestamp
	return nil
}

// SessionState is what session_states.state holds.
type SessionState struct {
	ID        string            `json:"id"`
	State     map[string][]byte `json:"state"`
	CreatedAt time.Time         `json:"createdAt"`
	UpdatedAt time.Time         `json:"updatedAt"`
}

type SummaryBoundary struct {
	Version     int       `json:"version"`
	FilterKey   string    `json:"filter_key,omitempty"`
	CutoffAt    time.Time `json:"cutoff_at,omitempty"`
	LastEventID string    `json:"last_event_id,omitempty"`
}

type Summary struct {
	Summary   string           `json:"summary"`
	Topics    []string         `json:"topics,omitempty"`
	UpdatedAt time.Time        `json:"updated_at"`
	Boundary  *SummaryBoundary `json:"boundary,omitempty"`
}

type TrackEvent struct {
	Track     string          `json:"track"`
	Payload   json.RawMessage `json:"payload"`
	Timestamp time.Time       `json:"timestamp"`
}

func target(kind string) (any, error) {
	switch kind {
	case "event":
		return &Event{}, nil
	case "state":
		return &SessionState{}, nil
	case "summary":
		return &Summary{}, nil
	case "track":
		return &TrackEvent{}, nil
	}
	return nil, fmt.Errorf("unknown kind %q", kind)
}

func roundTrip(line string) (string, error) {
	kind, doc, found := strings.Cut(line, "\t")
	if !found {
		return "", fmt.Errorf("no tab in the line")
	}
	v, err := target(kind)
	if err != nil {
		return "", err
	}
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		return "", err
	}
	out, err := json.Marshal(v)
	return string(out), err
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		doc, err := roundTrip(in.Text())
		if err != nil {
			fmt.Fprintf(out, "error\t%s\n", strings.ReplaceAll(err.Error(), "\n", " "))
			continue
		}
		fmt.Fprintf(out, "ok\t%s\n", doc)
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
