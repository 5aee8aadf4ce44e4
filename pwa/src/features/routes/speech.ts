// Reading the steps aloud (Web Speech API). The utterance's language is set explicitly: Android
// Chrome lists voices of languages that may not be installed and otherwise guesses.
import { htmlLang } from "../../i18n";

export const canSpeak = () => typeof globalThis.speechSynthesis !== "undefined";

export function speak(lines: string[]): void {
  if (!canSpeak()) return;
  speechSynthesis.cancel();
  const lang = htmlLang.value === "en" ? "en-US" : "ja-JP";
  for (const line of lines) {
    const utterance = new SpeechSynthesisUtterance(line);
    utterance.lang = lang;
    utterance.rate = 0.9; // a little slower: heard outdoors, under stress
    speechSynthesis.speak(utterance);
  }
}

export function stopSpeaking(): void {
  if (canSpeak()) speechSynthesis.cancel();
}
