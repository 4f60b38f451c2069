/** Shared by the seeding benchmarks (records-bench.ts, strategies-bench.ts): two apps and their plans. */
import type { Core } from '../core.js';
import { newPlanColumns } from './plans.js';

/** Apps bench-a and bench-b, and `count` silent preset plans alternating between them. */
export async function seedBenchPlans(
  core: Pick<Core, 'accessKeys' | 'repos'>,
  count: number,
  resultRetentionHours: number,
): Promise<{ apps: { id: string }[]; plans: { id: number; app_id: string }[] }> {
  const apps = [await core.accessKeys.ensureApp('bench-a'), await core.accessKeys.ensureApp('bench-b')];
  const plans: { id: number; app_id: string }[] = [];
  for (let i = 0; i < count; i++) {
    const t = new Date();
    plans.push(
      await core.repos.plans.insert({
        app_id: apps[i % 2]!.id,
        ...newPlanColumns({
          name: `bench plan ${i}`,
          livenessMode: 'silent',
          identityInput: 'preset',
          threshold: { score: 70 },
          resultRetentionHours,
          mediaRetentionHours: 24,
        }),
        callback_secret_enc: null,
        created_at: t,
        updated_at: t,
        disabled_at: null,
      }),
    );
  }
  return { apps, plans };
}
