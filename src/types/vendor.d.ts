// Minimal declarations for the parts of untyped packages the project uses.
declare module 'mjml' {
  interface MjmlError {
    line: number;
    message: string;
    tagName: string;
    formattedMessage: string;
  }
  interface MjmlOptions {
    validationLevel?: 'strict' | 'soft' | 'skip';
    ignoreIncludes?: boolean;
    keepComments?: boolean;
    minify?: boolean;
    fonts?: Record<string, string>;
  }
  export default function mjml2html(input: string, options?: MjmlOptions): Promise<{ html: string; errors: MjmlError[] }>;
}

declare module 'nodemailer/lib/mime-funcs' {
  export function encodeWords(value: string, mimeWordEncoding?: 'Q' | 'B', maxLength?: number): string;
  export function encodeWord(value: string, mimeWordEncoding?: 'Q' | 'B', maxLength?: number): string;
  export function foldLines(value: string, lineLength?: number, afterSpace?: boolean): string;
}
