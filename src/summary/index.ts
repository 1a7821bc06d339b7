export type { SessionSummarizer } from '../session/summarizer.js';
