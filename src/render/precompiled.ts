import type Handlebars from 'handlebars';

/**
 * A template compiled once, at load: `precompile` finds its errors and generates its code, which
 * becomes the template in this environment (with its helpers and partials). `compile` would
 * parse and generate it all over again on first use; that second pass was most of the time
 * loading templates took. Errors thrown here are Handlebars' own, for the caller to name the file.
 */
export function precompiled(handlebars: typeof Handlebars, source: string, options?: PrecompileOptions): Handlebars.TemplateDelegate {
  // The types say a specification; at run time precompile returns its JavaScript source.
  const code = handlebars.precompile(source, options) as unknown as string;
  return handlebars.template(new Function(`return ${code}`)() as TemplateSpecification);
}
