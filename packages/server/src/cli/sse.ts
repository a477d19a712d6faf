export interface ServerSentEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Parses a text/event-stream body into events (the subset Tidings sends: id, event, data, comments). */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let current: ServerSentEvent = { data: "" };
  let hasData = false;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, "");
      buffer = buffer.slice(newline + 1);
      if (line === "") {
        if (hasData) yield current;
        current = { data: "" };
        hasData = false;
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "data") {
        current.data = hasData ? `${current.data}\n${value}` : value;
        hasData = true;
      } else if (field === "id") current.id = value;
      else if (field === "event") current.event = value;
    }
  }
}
