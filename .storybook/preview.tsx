import type { Preview } from '@storybook/react-vite';
import '../src/react/styles.css';

const preview: Preview = {
  parameters: {
    layout: 'padded',
    // Accessibility violations fail the story's test (addon-a11y runs axe after the play function).
    a11y: { test: 'error' },
    controls: { expanded: true },
    // A host page for each theme (the dark one is that of the uploader's dark palette).
    backgrounds: {
      options: {
        light: { name: 'Light', value: '#ffffff' },
        dark: { name: 'Dark', value: '#010409' },
      },
    },
  },
  decorators: [
    // The width of a chat widget's attachment panel.
    (Story) => (
      <div style={{ maxWidth: '32rem' }}>
        <Story />
      </div>
    ),
  ],
};

export default preview;
