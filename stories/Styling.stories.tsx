import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn, userEvent, within } from 'storybook/test';
import { pdf } from './files';
import { scenarioReady } from './queries';
import { scenario, type UploaderArgs } from './scenario';

/**
 * How a host restyles the uploader: --cau-* custom properties set where its own theme lives (an ancestor, or
 * .cau in a sheet of its own, loaded before or after ours), and what is left of the look where light-dark()
 * is unknown.
 */
const meta = {
  title: 'AttachmentUploader/Styling',
  args: { onUploaded: fn(), onError: fn() },
  render: scenario(async ({ drop, settle, backend }) => {
    backend.inject({ kind: 'hold', operation: 'put', afterBytes: 50_000 });
    drop(pdf('floor-plan.pdf', 100_000));
    await settle();
  }),
} satisfies Meta<UploaderArgs>;

export default meta;
type Story = StoryObj<typeof meta>;

function parts(canvasElement: HTMLElement) {
  const root = canvasElement.querySelector<HTMLElement>('.cau');
  const zone = canvasElement.querySelector<HTMLElement>('.cau-zone');
  const progress = canvasElement.querySelector<HTMLElement>('.cau-progress');
  const choose = within(canvasElement).getByRole('button', { name: 'Choose files' });
  if (!root || !zone || !progress) throw new Error('No uploader.');
  return { root, zone, progress, choose };
}

/** The page's theme on an ancestor reaches the uploader; so does a rule on .cau from a sheet loaded before ours. */
export const ThemeFromOutside: Story = {
  name: 'Custom properties from an ancestor or an earlier sheet',
  play: async ({ canvasElement }) => {
    await scenarioReady(canvasElement);
    const { root, zone, choose } = parts(canvasElement);
    await expect(getComputedStyle(choose).backgroundColor).toBe('rgb(9, 105, 218)');

    const ancestor = root.parentElement;
    if (!ancestor) throw new Error('No ancestor.');
    const earlier = document.createElement('style');
    earlier.textContent = '.cau { --cau-text: #112233; }';
    document.head.prepend(earlier);
    try {
      ancestor.style.setProperty('--cau-accent', '#7b2cbf');
      ancestor.style.setProperty('--cau-radius', '2px');
      await expect(getComputedStyle(choose).backgroundColor).toBe('rgb(123, 44, 191)');
      await expect(getComputedStyle(zone).borderTopLeftRadius).toBe('2px');
      await expect(getComputedStyle(root).color).toBe('rgb(17, 34, 51)');
      // --cau-focus follows the accent unless given.
      await userEvent.tab();
      await expect(choose).toHaveFocus();
      await expect(getComputedStyle(choose).outlineColor).toBe('rgb(123, 44, 191)');
    } finally {
      earlier.remove();
      ancestor.style.removeProperty('--cau-accent');
      ancestor.style.removeProperty('--cau-radius');
    }
  },
};

/**
 * Where light-dark() is unknown, every value that uses it is invalid when used. Played here: the sheet's
 * light-dark() values are replaced by a function no browser knows, and the rule this browser skips (it knows
 * light-dark()) is applied as such a browser would. Borders, the button and the bar's track must not vanish;
 * text keeps the page's colour.
 */
export const WithoutLightDark: Story = {
  name: 'Without light-dark()',
  play: async ({ canvasElement }) => {
    await scenarioReady(canvasElement);
    const { root, zone, progress, choose } = parts(canvasElement);
    const rules = Array.from(document.styleSheets).flatMap((sheet) => Array.from(sheet.cssRules));
    const fallback = rules.find((rule): rule is CSSSupportsRule => rule instanceof CSSSupportsRule && rule.conditionText.includes('light-dark'));
    const palette = rules.find((rule): rule is CSSStyleRule => rule instanceof CSSStyleRule && rule.selectorText === '.cau');
    const fallbackRule = fallback?.cssRules[0];
    if (!(fallbackRule instanceof CSSStyleRule) || !palette) throw new Error('No palette or no fallback in the stylesheet.');
    await expect(CSS.supports(fallback?.conditionText ?? '')).toBe(false);

    const applied: string[] = [];
    for (const style of [palette.style, fallbackRule.style]) {
      for (const name of Array.from(style).filter((property) => property.startsWith('--_'))) {
        const value = style.getPropertyValue(name).replace(/light-dark\(/g, 'unknown-color-function(');
        root.style.setProperty(name, value);
        applied.push(name);
      }
    }
    try {
      await expect(applied.length).toBeGreaterThan(fallbackRule.style.length);
      await expect(getComputedStyle(zone)).toMatchObject({ borderTopStyle: 'dashed', borderTopColor: 'rgb(140, 149, 159)' });
      await expect(getComputedStyle(choose)).toMatchObject({ backgroundColor: 'rgb(9, 105, 218)', color: 'rgb(255, 255, 255)' });
      await expect(getComputedStyle(progress).backgroundColor).toBe('rgb(208, 215, 222)');
      await expect(getComputedStyle(progress).color).toBe('rgb(9, 105, 218)');
      // No palette colour: the page's own, inherited.
      await expect(getComputedStyle(root).color).toBe(getComputedStyle(root.parentElement ?? document.body).color);
    } finally {
      for (const name of applied) root.style.removeProperty(name);
    }
  },
};
