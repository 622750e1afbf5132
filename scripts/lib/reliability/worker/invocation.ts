/**
 * One Worker invocation (a request, a queue batch, a cron run) as the fault service sees it: it
 * numbers the binding calls, asks the service whether each should fail, and remembers what was
 * injected. Runs inside workerd, in the test builds of the Workers only.
 * @module
 */
import {
  type BindingOp,
  D1_OVERLOADED,
  D1_RESET,
  FAULTS_ORIGIN,
  type FaultAction,
  type HarnessEvent,
} from "../fault-protocol.ts";

/** Thrown by every binding call of an invocation after its simulated crash. */
export class SimulatedCrash extends Error {
  constructor() {
    super("simulated crash: the invocation died here");
    this.name = "SimulatedCrash";
  }
}

export class Invocation {
  readonly id = crypto.randomUUID();
  readonly worker: BindingOp["worker"];
  readonly #service: Fetcher;
  #seq = 0;
  /** Set by a `crash` decision: nothing this invocation does afterwards takes effect. */
  crashed = false;
  /** `binding.method:action:effects` of every call, in order (see BINDING_CALLS_HEADER). */
  readonly calls: string[] = [];

  constructor(worker: BindingOp["worker"], service: Fetcher) {
    this.worker = worker;
    this.#service = service;
  }

  /**
   * Runs `call` (a call on a platform binding) as the fault service decides. `onLostSend` runs if
   * a call the service counted as done fails for real, so the service can take it back.
   */
  async guard<T>(
    op: Omit<BindingOp, "worker" | "invocation" | "seq">,
    call: () => Promise<T>,
    onLostSend?: () => Promise<void>,
  ): Promise<T> {
    if (this.crashed) throw new SimulatedCrash();
    const action = await this.#decide({ ...op, worker: this.worker, invocation: this.id, seq: ++this.#seq });
    this.calls.push(`${op.binding}.${op.method}:${action}:${op.effects.join("+")}`);
    switch (action) {
      case "fail":
        throw new Error(`injected fault: ${op.binding}.${op.method} failed`);
      case "overload":
        throw new Error(D1_OVERLOADED);
      case "reset":
        throw new Error(D1_RESET);
      case "crash":
        this.crashed = true;
        throw new SimulatedCrash();
      case "fail-after":
      case "pass": {
        let result: T;
        try {
          result = await call();
        } catch (error) {
          await onLostSend?.();
          throw error;
        }
        if (action === "fail-after") throw new Error(`injected fault: ${op.binding}.${op.method} answer lost`);
        return result;
      }
    }
  }

  /** Sends an event to the fault service and returns its JSON answer. */
  async report<T = unknown>(event: HarnessEvent): Promise<T> {
    return this.#post<T>("/event", event);
  }

  async #decide(op: BindingOp): Promise<FaultAction> {
    const { action } = await this.#post<{ action: FaultAction }>("/op", op);
    return action;
  }

  async #post<T>(path: string, body: unknown): Promise<T> {
    const response = await this.#service.fetch(`${FAULTS_ORIGIN}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`fault service answered ${response.status} to ${path}`);
    return response.json<T>();
  }
}
