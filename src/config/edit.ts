import fs from 'node:fs';
import path from 'node:path';
import YAML, { isMap, isSeq } from 'yaml';
import { ConfigError, describeIssues } from './load.ts';
import { configSchema } from './schema.ts';

const KEY_RE = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$/;

function keyPath(key: string): string[] {
  if (!KEY_RE.test(key)) throw new ConfigError(`invalid key ${JSON.stringify(key)}: use dotted names such as proxy.port`);
  return key.split('.');
}

/** A value typed on the command line: YAML scalars, so `8000` is a number and `true` a boolean. */
export function parseValue(text: string): unknown {
  try {
    return YAML.parse(text);
  } catch {
    return text;
  }
}

/** Edits config.yaml keeping its comments; refuses any edit that would make the config invalid. */
export class ConfigEditor {
  private readonly doc: YAML.Document;

  constructor(private readonly file: string) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    this.doc = YAML.parseDocument(text);
    if (this.doc.errors.length) throw new ConfigError(`${file} is not valid YAML: ${this.doc.errors[0].message}`);
    if (this.doc.contents === null) this.doc.contents = this.doc.createNode({}) as YAML.Document['contents'];
  }

  get(key: string): unknown {
    return this.doc.getIn(keyPath(key));
  }

  set(key: string, value: unknown): void {
    this.doc.setIn(keyPath(key), value);
  }

  unset(key: string): void {
    if (!this.doc.deleteIn(keyPath(key))) throw new ConfigError(`${key} is not set`);
  }

  addItem(key: string, value: unknown): void {
    const current = this.doc.getIn(keyPath(key));
    if (current === undefined) this.doc.setIn(keyPath(key), this.doc.createNode([value]));
    else if (isSeq(current)) current.add(value);
    else throw new ConfigError(`${key} is not a list`);
  }

  removeItem(key: string, value: unknown): void {
    const current = this.doc.getIn(keyPath(key));
    if (!isSeq(current)) throw new ConfigError(`${key} is not a list`);
    const index = current.items.findIndex((item) => YAML.isScalar(item) ? item.value === value : item === value);
    if (index < 0) throw new ConfigError(`${JSON.stringify(value)} is not in ${key}`);
    current.delete(index);
  }

  /** Validates the edited config, then writes it atomically (temp file + rename). */
  save(): void {
    const raw = this.doc.toJS() ?? {};
    const result = configSchema.safeParse(raw);
    if (!result.success) throw new ConfigError(`not saved, the config would be invalid:\n${describeIssues(result.error)}`);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, String(this.doc), { mode: 0o640 });
    fs.renameSync(tmp, this.file);
  }

  toString(): string {
    return isMap(this.doc.contents) && this.doc.contents.items.length === 0 ? '{}\n' : String(this.doc);
  }
}
