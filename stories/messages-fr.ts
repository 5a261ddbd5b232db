import type { AttachmentUploaderMessagesOverride } from '../src/index';

const TYPE_NAMES: Readonly<Record<string, string>> = {
  'application/pdf': 'un PDF',
  'image/png': 'une image PNG',
  'image/jpeg': 'une image JPEG',
  'application/x-msdownload': 'un programme Windows',
  'application/zip': 'une archive ZIP',
};

function formatSize(bytes: number): string {
  const number = (value: number) => new Intl.NumberFormat('fr', { maximumFractionDigits: 1 }).format(value);
  if (bytes < 1024) return `${bytes} o`;
  if (bytes < 1024 * 1024) return `${number(bytes / 1024)} Ko`;
  return `${number(bytes / (1024 * 1024))} Mo`;
}

const couldNotSend = (name: string, why: string) => `« ${name} » n’a pas pu être envoyé : ${why}`;

/** A host's own wording: the uploader in French (the entries a chat widget meets most; the rest stay English). */
export const frenchMessages: AttachmentUploaderMessagesOverride = {
  dropPrompt: 'Déposez ou collez des fichiers ici.',
  dropPromptSingle: 'Déposez ou collez un fichier ici.',
  dropActive: 'Relâchez pour ajouter.',
  chooseFiles: 'Choisir des fichiers',
  chooseFile: 'Choisir un fichier',
  onlyOneFile: ({ ignored }) =>
    `Un seul fichier peut être ajouté à la fois : ${ignored === 1 ? 'un autre a été laissé' : `${ignored} autres ont été laissés`} de côté.`,
  limits: ({ types, maxSize }) => `Acceptés : ${types}, jusqu’à ${maxSize} chacun.`,
  list: (items) => new Intl.ListFormat('fr', { type: 'disjunction' }).format(items),
  formatSize,
  typeName: (mime) => TYPE_NAMES[mime] ?? `un fichier de type ${mime}`,
  fileList: 'Fichiers',
  status: {
    queued: 'En attente',
    checking: 'Vérification',
    starting: 'Démarrage',
    uploading: 'Envoi en cours',
    retrying: 'Nouvel essai',
    refreshing: 'Renouvellement du lien d’envoi',
    completing: 'Finalisation',
    done: 'Envoyé',
    failed: 'Échec',
    rejected: 'Refusé',
    cancelled: 'Annulé',
  },
  progress: ({ percent, sent, total }) => `${percent} % · ${sent} sur ${total}`,
  progressValue: ({ percent }) => `${percent} %`,
  progressLabel: ({ name }) => `Progression de l’envoi de ${name}`,
  retryReason: (code) => (code === 'network' ? 'Connexion perdue' : 'Interruption'),
  retrying: ({ reason, seconds }) => (seconds > 0 ? `${reason} — nouvel essai dans ${seconds} s` : `${reason} — nouvel essai`),
  cancel: 'Annuler',
  retry: 'Réessayer',
  remove: 'Retirer',
  cancelFile: ({ name }) => `Annuler ${name}`,
  retryFile: ({ name }) => `Réessayer ${name}`,
  removeFile: ({ name }) => `Retirer ${name}`,
  errors: {
    'file-empty': ({ name }) => `« ${name} » est vide (0 octet).`,
    'file-too-large': ({ name, limit, actual }) => `« ${name} » est trop volumineux : ${actual}, la limite est ${limit}.`,
    'type-not-allowed': ({ name, extension, allowedTypes }) =>
      `« ${name} » ne peut pas être envoyé : les fichiers ${extension} ne sont pas acceptés. Acceptés : ${allowedTypes}.`,
    'type-mismatch': ({ name, expectedType, detectedType }) =>
      `« ${name} » n’est pas ${expectedType ?? 'ce que son nom indique'} : son contenu ressemble à ${detectedType ?? 'autre chose'}.`,
    network: ({ name }) => couldNotSend(name, 'la connexion a été perdue. Vérifiez votre connexion et réessayez.'),
  },
  announceStarted: ({ name }) => `Envoi de ${name}.`,
  announceHalfway: ({ name }) => `${name} : moitié envoyée.`,
  announceRetrying: ({ name, reason }) => `${name} : ${reason}, nouvel essai prévu.`,
  announceDone: ({ name }) => `${name} envoyé.`,
  announceFailed: ({ reason }) => `Échec de l’envoi. ${reason}`,
  announceRejected: ({ reason }) => `Refusé. ${reason}`,
  announceCancelled: ({ name }) => `Envoi de ${name} annulé.`,
};
