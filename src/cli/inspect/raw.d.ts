/** A file imported as its text (`import text from './file.css?raw'`): Vite's convention, which tsup.config.ts follows. */
declare module '*?raw' {
  const text: string;
  export default text;
}
