import { Observable } from 'rxjs';
import type { Observable as RuntimeStream } from '../../runtime/streams.js';

/** A runtime stream (a link's messages, the supervisor's events) as an RxJS Observable, for RxJS's operators in tests. */
export const rx = <T>(stream: RuntimeStream<T>): Observable<T> =>
  new Observable<T>((subscriber) => {
    const s = stream.subscribe({
      next: (v) => subscriber.next(v),
      error: (e) => subscriber.error(e),
      complete: () => subscriber.complete(),
    });
    return () => s.unsubscribe();
  });
