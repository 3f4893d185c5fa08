/** A start-up problem the operator can fix, said in one line. */
export class StartError extends Error {
  override name = 'StartError';
}
