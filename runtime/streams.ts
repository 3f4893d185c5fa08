/**
 * The push streams the runtime hands out (a link's messages and state, the supervisor's events,
 * an actor's peers): subscribe, next, complete, and a current value. Our own few lines rather
 * than RxJS's classes, which with tslib cost every actor thread ~30–50 ms of CPU to load, and
 * each actor is a thread booted on the way to a client's first picture. Code that wants RxJS's
 * operators wraps one in an RxJS Observable (the tests' `rx` helper does).
 */

export interface Observer<T> {
  next?: (value: T) => void;
  error?: (err: unknown) => void;
  complete?: () => void;
}

export interface Subscription {
  unsubscribe(): void;
}

/** A consumer's exception does not stop the others; it is thrown on its own turn, as RxJS does, where it is uncaught. */
function report(err: unknown): void {
  setTimeout(() => {
    throw err;
  });
}

/** What a stream's consumers see: subscribe only. */
export interface Observable<T> {
  subscribe(observer: ((value: T) => void) | Observer<T>): Subscription;
}

export class Subject<T> implements Observable<T> {
  private observers: Observer<T>[] = [];
  private done = false;

  subscribe(observer: ((value: T) => void) | Observer<T>): Subscription {
    const o: Observer<T> = typeof observer === 'function' ? { next: observer } : observer;
    if (this.done) {
      o.complete?.();
      return { unsubscribe: () => {} };
    }
    this.onSubscribe(o);
    // Copy on write: a delivery in progress keeps iterating the list it started with.
    this.observers = [...this.observers, o];
    return {
      unsubscribe: () => {
        this.observers = this.observers.filter((x) => x !== o);
      },
    };
  }

  next(value: T): void {
    if (this.done) return;
    for (const o of this.observers) {
      try {
        o.next?.(value);
      } catch (err) {
        report(err);
      }
    }
  }

  complete(): void {
    if (this.done) return;
    this.done = true;
    const observers = this.observers;
    this.observers = [];
    for (const o of observers) {
      try {
        o.complete?.();
      } catch (err) {
        report(err);
      }
    }
  }

  /** The subscribe side only, for handing out. */
  asObservable(): Observable<T> {
    return { subscribe: (observer) => this.subscribe(observer) };
  }

  protected onSubscribe(_observer: Observer<T>): void {}
}

/** A subject with a current value, given to each new subscriber first. */
export class BehaviorSubject<T> extends Subject<T> {
  constructor(private current: T) {
    super();
  }

  get value(): T {
    return this.current;
  }

  override next(value: T): void {
    this.current = value;
    super.next(value);
  }

  protected override onSubscribe(observer: Observer<T>): void {
    try {
      observer.next?.(this.current);
    } catch (err) {
      report(err);
    }
  }
}
