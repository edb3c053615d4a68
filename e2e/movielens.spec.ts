import { expect, openApp, test } from './fixtures.js';

// Real titles, the shipped asset, training in a worker: 60 s of training must put recall@10 above
// the popularity baseline of the same split; five picks give ten titled recommendations.
test('MovieLens: 60 s of training beats popularity on recall@10; five picks give ten titled recommendations', async ({
  page,
  consoleLog,
}) => {
  test.setTimeout(600_000);
  await openApp(page);
  const view = page.getByRole('region', { name: 'MovieLens: a recommender on real ratings' });
  await expect(view).toContainText('Harper');
  await expect(view).toContainText('80/20 at random');
  await view.getByRole('button', { name: 'Train for 60 s' }).click();
  await expect(view.getByRole('button', { name: 'Pause' })).toBeVisible({ timeout: 60_000 });
  await expect(view.locator('[data-status="done"]')).toBeVisible({ timeout: 540_000 });

  const { curve, pop } = await page.evaluate(() => {
    const s = window.playground.getState();
    return { curve: s.mlCurve.map((p) => ({ seconds: p.seconds, recall: p.recall })), pop: s.mlInfo!.popularity };
  });
  expect(curve.at(-1)!.seconds).toBeGreaterThanOrEqual(60);
  expect(pop.recall).toBeGreaterThan(0.06);
  expect(pop.recall).toBeLessThan(0.08);
  expect(curve.at(-1)!.recall).toBeGreaterThan(pop.recall);
  const table = view.getByRole('table', { name: 'Model and popularity on the held-out 20 %' });
  const model = Number(await table.locator('[data-row="model"] [data-metric="recall"]').textContent());
  const popular = Number(await table.locator('[data-row="popularity"] [data-metric="recall"]').textContent());
  expect(model).toBeGreaterThan(popular);
  await expect(view.getByRole('figure', { name: 'Metrics at 10 over training seconds' })).toBeVisible();

  // Recommend for a data-set user: ten real titles.
  await view.getByRole('button', { name: 'Recommend', exact: true }).click();
  const forUser = view.getByRole('list', { name: 'Recommended for user 1' });
  await expect(forUser.getByRole('listitem')).toHaveCount(10);

  // Rate a few movies: five picks.
  for (const [query, title] of [
    ['star wars', 'Star Wars: Episode IV - A New Hope (1977)'],
    ['empire strikes', 'Star Wars: Episode V - The Empire Strikes Back (1980)'],
    ['matrix', 'Matrix, The (1999)'],
    ['toy story', 'Toy Story (1995)'],
    ['godfather', 'Godfather, The (1972)'],
  ]) {
    await view.getByLabel('Search titles').fill(query);
    await view.getByRole('button', { name: 'Search', exact: true }).click();
    await view.getByRole('button', { name: `Pick ${title}` }).click();
  }
  await expect(view.getByRole('list', { name: 'Your picks' }).getByRole('listitem')).toHaveCount(5);
  await view.getByRole('button', { name: /Recommend for me/ }).click();
  const recs = view.getByRole('list', { name: 'Recommended for you' });
  await expect(recs.getByRole('listitem')).toHaveCount(10);
  await expect(recs.getByRole('listitem').first()).toContainText(/\(\d{4}\)/);
  await expect(recs.getByRole('listitem').first()).toContainText('because you liked');
  await expect(view).toContainText('New user id 1000001 inserted (user table: 672 keys)');
  expect(consoleLog.errors).toEqual([]);
});
