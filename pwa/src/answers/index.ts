// The app's answers: the server's, else (network gone) a stored pack's.
import { serverReachable } from "../lib/status";
import { type Answers, onlineFirst } from "./answers";
import { packAnswers } from "./pack";
import { serverAnswers } from "./server";

export type { Answers, NearestOptions, Point } from "./answers";

export const answers: Answers = onlineFirst(serverAnswers, packAnswers, () => {
  serverReachable.value = false;
});
