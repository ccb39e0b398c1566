import { parcObjects, parcTemplateOf, PARC_ID_LABEL } from './parc-objects';

const template = parcTemplateOf([
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'parc-p1-parc-caller', namespace: 'parc', labels: { [PARC_ID_LABEL]: 'p1', 'app.kubernetes.io/name': 'parc-caller' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { [PARC_ID_LABEL]: 'p1', 'app.kubernetes.io/name': 'parc-caller' } },
      template: {
        metadata: { labels: { [PARC_ID_LABEL]: 'p1' } },
        spec: {
          containers: [
            {
              name: 'parc-caller',
              image: 'parc/parc-caller',
              env: [
                { name: 'PARC_ID', value: 'p1' },
                { name: 'PARC_REDIS_URL', value: 'redis://parc-p1-redis:6379' },
                { name: 'OTHER', value: 'p1' },
              ],
            },
          ],
        },
      },
    },
  },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'parc-p1-redis', labels: { [PARC_ID_LABEL]: 'p1' } }, spec: { selector: { [PARC_ID_LABEL]: 'p1' } } },
  null,
]);

describe('a Parc from the template', () => {
  it('replaces the name prefix, the Parc id label, PARC_ID and the Redis address — nothing else — and drops replicas', () => {
    const [deployment, service] = parcObjects(template, 'p7', new Map([['parc-caller', 'parc/parc-caller:1.4.2']]));
    expect(deployment).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'parc-p7-parc-caller', namespace: 'parc', labels: { [PARC_ID_LABEL]: 'p7', 'app.kubernetes.io/name': 'parc-caller' } },
      spec: {
        selector: { matchLabels: { [PARC_ID_LABEL]: 'p7', 'app.kubernetes.io/name': 'parc-caller' } },
        template: {
          metadata: { labels: { [PARC_ID_LABEL]: 'p7' } },
          spec: {
            containers: [
              {
                name: 'parc-caller',
                image: 'parc/parc-caller:1.4.2',
                env: [
                  { name: 'PARC_ID', value: 'p7' },
                  { name: 'PARC_REDIS_URL', value: 'redis://parc-p7-redis:6379' },
                  { name: 'OTHER', value: 'p1' },
                ],
              },
            ],
          },
        },
      },
    });
    expect(service).toEqual({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'parc-p7-redis', labels: { [PARC_ID_LABEL]: 'p7' } }, spec: { selector: { [PARC_ID_LABEL]: 'p7' } } });
  });

  it('leaves the template as it was', () => {
    parcObjects(template, 'p2');
    expect(template.objects[0]?.metadata?.name).toBe('parc-p1-parc-caller');
  });

  it.each(['P2', 'p_2', '-p2', 'p2-', '', 'a'.repeat(41)])('refuses the id %j, which cannot name Kubernetes objects', (id) => {
    expect(() => parcObjects(template, id)).toThrow(`Parc id '${id}' cannot name Kubernetes objects`);
  });

  it('refuses a template that is not one labelled Parc', () => {
    expect(() => parcTemplateOf([])).toThrow('it holds no Kubernetes objects');
    expect(() => parcTemplateOf([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' } }])).toThrow(`Service x has no ${PARC_ID_LABEL} label`);
    expect(() => parcTemplateOf([{ kind: 'Service', metadata: { name: 'x' } }])).toThrow('Service x lacks apiVersion, kind or metadata.name');
    expect(() =>
      parcTemplateOf([
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a', labels: { [PARC_ID_LABEL]: 'p1' } } },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'b', labels: { [PARC_ID_LABEL]: 'p2' } } },
      ]),
    ).toThrow('its objects belong to several Parcs (p1, p2)');
  });
});
