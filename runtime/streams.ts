/**
 * The RxJS classes the runtime uses, from their own modules: the package's index loads all of
 * RxJS (every operator), about 90 ms per worker thread against 20 ms for these, and every actor
 * is a worker thread booted on the way to a client's first frame.
 */
export { Observable } from 'rxjs/internal/Observable';
export { Subject } from 'rxjs/internal/Subject';
export { BehaviorSubject } from 'rxjs/internal/BehaviorSubject';
