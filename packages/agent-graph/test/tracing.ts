// The real OpenTelemetry SDK for a test file: the global tracer, context manager and W3C propagator set up
// once, finished spans kept in memory (cleared before each test), everything taken down after the file.
import * as opentelemetry from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

export interface Tracing {
  exporter: InMemorySpanExporter;
  /** The finished spans of that name, in the order they ended. */
  spansNamed(name: string): ReadableSpan[];
}

export function useTracing(): Tracing {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    opentelemetry.context.setGlobalContextManager(contextManager.enable());
    opentelemetry.trace.setGlobalTracerProvider(provider);
    opentelemetry.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });
  afterAll(async () => {
    await provider.shutdown();
    opentelemetry.trace.disable();
    opentelemetry.context.disable();
    opentelemetry.propagation.disable();
  });
  beforeEach(() => exporter.reset());
  return { exporter, spansNamed: (name) => exporter.getFinishedSpans().filter((span) => span.name === name) };
}
