import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { EndpointSlot, Sender, SenderOutcome } from "../delivery/engine.js";
import type { OutgoingRequest } from "../delivery/sender.js";
import type { Store } from "../store/store.js";
import { VERSION } from "../version.js";

const TRACER = "tidings";
const REQUEST_CONTEXT = Symbol("tidings.traceContext");

type TracedRequest = FastifyRequest & { [REQUEST_CONTEXT]?: { span: Span; context: Context } };

/**
 * OpenTelemetry traces: API request → commit → delivery attempt. They exist only when an OTLP endpoint is
 * configured (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); without one this module
 * is not even loaded, so tracing costs nothing. Attributes carry routes, hosts, ids and status codes: never a URL's
 * query or path beyond the route template, a header, a key, a secret or a signature.
 */
export class Tracing {
  private readonly provider: NodeTracerProvider;
  private readonly tracer: Tracer;

  constructor(tracesUrl: string, serviceName: string) {
    this.provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ "service.name": serviceName, "service.version": VERSION }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl }))],
    });
    // Global: the AsyncLocalStorage context manager and W3C traceparent propagation.
    this.provider.register();
    this.tracer = this.provider.getTracer(TRACER, VERSION);
  }

  /** A server span per request, named by its route template; its context is active while the route runs. */
  instrument(app: FastifyInstance): void {
    app.addHook("onRequest", (req: TracedRequest, _reply, done) => {
      const parent = propagation.extract(context.active(), req.headers);
      const route = req.routeOptions.url ?? "unmatched";
      const span = this.tracer.startSpan(
        `${req.method} ${route}`,
        { kind: SpanKind.SERVER, attributes: { "http.request.method": req.method, "http.route": route } },
        parent,
      );
      const active = trace.setSpan(parent, span);
      req[REQUEST_CONTEXT] = { span, context: active };
      context.with(active, done);
    });
    // The body arrives on the socket's own async context: enter the request's again before the handler.
    app.addHook("preHandler", (req: TracedRequest, _reply, done) => {
      const traced = req[REQUEST_CONTEXT];
      if (traced === undefined) return done();
      context.with(traced.context, done);
    });
    app.addHook("onResponse", (req: TracedRequest, reply, done) => {
      const traced = req[REQUEST_CONTEXT];
      if (traced !== undefined) {
        traced.span.setAttribute("http.response.status_code", reply.statusCode);
        if (reply.statusCode >= 500) traced.span.setStatus({ code: SpanStatusCode.ERROR });
        traced.span.end();
      }
      done();
    });
  }

  /** The same store, each transaction (a commit) in a span of its own. */
  traceStore<S extends Store>(store: S, system: "sqlite" | "postgresql"): S {
    const transaction: Store["transaction"] = (work) =>
      this.tracer.startActiveSpan(
        "commit",
        { kind: SpanKind.INTERNAL, attributes: { "db.system.name": system } },
        async (span) => {
          try {
            return await store.transaction(work);
          } catch (err) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).name });
            throw err;
          } finally {
            span.end();
          }
        },
      );
    return new Proxy(store, {
      get: (target, property, receiver) =>
        property === "transaction" ? transaction : Reflect.get(target, property, receiver),
    });
  }

  /** The same sender, each attempt in a client span under whatever caused it (the request that committed the event). */
  traceSender(sender: Sender): Sender {
    return {
      holdsQueues: sender.holdsQueues,
      withdraw: () => sender.withdraw?.(),
      send: (req: OutgoingRequest, slot?: EndpointSlot): Promise<SenderOutcome> => {
        const target = new URL(req.uri);
        const attributes = {
          "http.request.method": "POST",
          "server.address": target.hostname,
          "url.scheme": target.protocol.replace(/:$/, ""),
          "tidings.event_id": req.headers["webhook-id"] ?? "",
        };
        return this.tracer.startActiveSpan("webhook attempt", { kind: SpanKind.CLIENT, attributes }, async (span) => {
          try {
            const result = await sender.send(req, slot);
            if (result.kind === "withdrawn") span.setAttribute("tidings.withdrawn", true);
            else if (result.kind === "response") span.setAttribute("http.response.status_code", result.statusCode);
            if (
              result.kind === "error" ||
              (result.kind === "response" && (result.statusCode < 200 || result.statusCode >= 300))
            )
              span.setStatus({ code: SpanStatusCode.ERROR });
            return result;
          } finally {
            span.end();
          }
        });
      },
    };
  }

  /** Sends what is buffered and stops. */
  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}
