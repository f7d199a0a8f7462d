import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import * as draft06 from 'ajv/dist/refs/json-schema-draft-06.json';

// har-schema ships no types; its index is an object of draft-06 JSON Schemas, one per HAR object.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const harSchemas = require('har-schema') as Record<string, { $id: string }>;

/** The HAR 1.2 JSON Schema (npm har-schema), with its draft-06 meta-schema and formats. */
export function harValidator(): (data: unknown) => string | undefined {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addMetaSchema(draft06);
  addFormats(ajv);
  for (const schema of Object.values(harSchemas)) ajv.addSchema(schema);
  const validate = ajv.getSchema('har.json#')!;
  return (data) => (validate(data) ? undefined : ajv.errorsText(validate.errors));
}
