/**
 * Structural checks of Kubernetes manifests: the cross-references the API server does not check
 * at apply time (selectors, Service targets, referenced ConfigMaps/Secrets/claims, probe ports),
 * which otherwise surface as pods that never become ready.
 */

type Labels = Record<string, string>;

interface Probe {
  httpGet?: { path?: string; port: number | string };
  tcpSocket?: { port: number | string };
  exec?: { command: string[] };
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: KeyRef; configMapKeyRef?: KeyRef } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string }[];
  securityContext?: Record<string, unknown>;
}

interface KeyRef {
  name: string;
  key: string;
}

interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  configMap?: { name: string };
  secret?: { secretName: string };
  emptyDir?: object;
  ephemeral?: object;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  securityContext?: Record<string, unknown>;
  enableServiceLinks?: boolean;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Labels };
  spec?: {
    replicas?: number;
    strategy?: { type?: string };
    selector?: { matchLabels?: Labels } | Labels;
    template?: { metadata?: { labels?: Labels }; spec: PodSpec };
    volumeClaimTemplates?: { metadata: { name: string } }[];
    serviceName?: string;
    ports?: { name?: string; port: number; targetPort?: number | string }[];
    type?: string;
    clusterIP?: string;
  };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export interface Manifest {
  file: string;
  object: K8sObject;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isWorkload(o: K8sObject): boolean {
  return WORKLOADS.has(o.kind);
}

export function containersOf(o: K8sObject): Container[] {
  const spec = o.spec?.template?.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
}

function subsetOf(selector: Labels, labels: Labels | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function id(m: Manifest): string {
  return `${m.file}: ${m.object.kind}/${m.object.metadata?.name}`;
}

/** Problems found across a set of manifests (applied together); empty when consistent. */
export function checkManifests(manifests: Manifest[]): string[] {
  const problems: string[] = [];
  const byKind = (kind: string) => manifests.filter((m) => m.object.kind === kind);
  const names = (kind: string) => new Set(byKind(kind).map((m) => m.object.metadata.name));
  const workloads = manifests.filter((m) => isWorkload(m.object));
  const configMaps = names('ConfigMap');
  const secrets = names('Secret');
  const claims = names('PersistentVolumeClaim');
  const seen = new Set<string>();

  for (const m of manifests) {
    const o = m.object;
    if (!o || typeof o !== 'object') {
      problems.push(`${m.file}: a document is not an object`);
      continue;
    }
    if (!o.apiVersion || !o.kind || !o.metadata?.name)
      problems.push(`${id(m)}: needs apiVersion, kind and metadata.name`);
    else if (!DNS1123.test(o.metadata.name) || o.metadata.name.length > 63)
      problems.push(`${id(m)}: name is not a DNS-1123 label`);
    const key = `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
    if (seen.has(key)) problems.push(`${id(m)}: defined twice`);
    seen.add(key);
  }

  for (const m of workloads) {
    const o = m.object;
    const selector = (o.spec?.selector as { matchLabels?: Labels } | undefined)?.matchLabels;
    const labels = o.spec?.template?.metadata?.labels;
    if (!selector || !Object.keys(selector).length) problems.push(`${id(m)}: no spec.selector.matchLabels`);
    else if (!subsetOf(selector, labels))
      problems.push(
        `${id(m)}: selector ${JSON.stringify(selector)} does not match the template labels ${JSON.stringify(labels)}`,
      );
    if (o.kind === 'StatefulSet' && o.spec?.serviceName && !names('Service').has(o.spec.serviceName)) {
      problems.push(`${id(m)}: serviceName ${o.spec.serviceName} is not a Service here`);
    }
    const pod = o.spec?.template?.spec;
    if (!pod?.containers?.length) {
      problems.push(`${id(m)}: no containers`);
      continue;
    }
    const volumes = new Set([
      ...(pod.volumes ?? []).map((v) => v.name),
      ...(o.spec?.volumeClaimTemplates ?? []).map((t) => t.metadata.name),
    ]);
    for (const v of pod.volumes ?? []) {
      if (v.persistentVolumeClaim && !claims.has(v.persistentVolumeClaim.claimName))
        problems.push(`${id(m)}: claim ${v.persistentVolumeClaim.claimName} is not defined`);
      if (v.configMap && !configMaps.has(v.configMap.name))
        problems.push(`${id(m)}: volume ConfigMap ${v.configMap.name} is not defined`);
      if (v.secret && !secrets.has(v.secret.secretName))
        problems.push(`${id(m)}: volume Secret ${v.secret.secretName} is not defined`);
    }
    for (const c of containersOf(o)) {
      const where = `${id(m)} container ${c.name}`;
      if (!c.image) problems.push(`${where}: no image`);
      for (const mount of c.volumeMounts ?? [])
        if (!volumes.has(mount.name)) problems.push(`${where}: mounts undeclared volume ${mount.name}`);
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef && !configMaps.has(from.configMapRef.name))
          problems.push(`${where}: configMapRef ${from.configMapRef.name} is not defined`);
        if (from.secretRef && !secrets.has(from.secretRef.name))
          problems.push(`${where}: secretRef ${from.secretRef.name} is not defined`);
      }
      for (const e of c.env ?? []) {
        const s = e.valueFrom?.secretKeyRef;
        const cm = e.valueFrom?.configMapKeyRef;
        if (s && !hasKey(byKind('Secret'), s))
          problems.push(`${where}: env ${e.name} refers to missing Secret key ${s.name}/${s.key}`);
        if (cm && !hasKey(byKind('ConfigMap'), cm))
          problems.push(`${where}: env ${e.name} refers to missing ConfigMap key ${cm.name}/${cm.key}`);
      }
      const portNames = new Set((c.ports ?? []).map((p) => p.name).filter(Boolean));
      const portNumbers = new Set((c.ports ?? []).map((p) => p.containerPort));
      for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
        const probe = c[kind];
        const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
        if (port === undefined) continue;
        const declared = typeof port === 'number' ? portNumbers.has(port) : portNames.has(port);
        if (!declared) problems.push(`${where}: ${kind} port ${port} is not a declared container port`);
        if (probe?.httpGet && !probe.httpGet.path?.startsWith('/'))
          problems.push(`${where}: ${kind} httpGet path must start with /`);
      }
    }
  }

  for (const m of byKind('Service')) {
    const selector = m.object.spec?.selector as Labels | undefined;
    if (!selector || !Object.keys(selector).length) {
      problems.push(`${id(m)}: no selector`);
      continue;
    }
    const targets = workloads.filter((w) => subsetOf(selector, w.object.spec?.template?.metadata?.labels));
    if (!targets.length) {
      problems.push(`${id(m)}: selector ${JSON.stringify(selector)} matches no workload`);
      continue;
    }
    for (const p of m.object.spec?.ports ?? []) {
      const target = p.targetPort ?? p.port;
      for (const w of targets) {
        const ports = containersOf(w.object).flatMap((c) => c.ports ?? []);
        const ok =
          typeof target === 'number'
            ? ports.some((cp) => cp.containerPort === target)
            : ports.some((cp) => cp.name === target);
        if (!ok)
          problems.push(
            `${id(m)}: targetPort ${target} is not a container port of ${w.object.kind}/${w.object.metadata.name}`,
          );
      }
    }
  }
  return problems;
}

function hasKey(objects: Manifest[], ref: KeyRef): boolean {
  return objects.some(
    (m) =>
      m.object.metadata.name === ref.name &&
      (ref.key in (m.object.data ?? {}) || ref.key in (m.object.stringData ?? {})),
  );
}
