// A customer keeps SSH keys on the account page: a weak key and a pasted private key are refused
// with a message saying what to do, a good key shows its fingerprint, and it can be removed.
import { expect, test } from '@playwright/test';
import { hydrated, logIn, shot, signUp } from './support';

const CUSTOMER = { name: 'Budi Santoso', email: `budi-ssh-${Date.now()}@example.com`, password: 'kopi-tubruk-pagi-7' };

// Generated with `ssh-keygen`; the fingerprint is what `ssh-keygen -lf` prints for it.
const ED25519 =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKbw6XfK4lamWEMc4cA3DLhryw8jkvofwx8Y4MnqtTZb budi@laptop';
const ED25519_FINGERPRINT = 'SHA256:CEjDlC62mvFnoDCoWKZnWfz+OeVNsItUA4yeDLBdxDA';
const RSA_1024 =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC95tmeuzUhPfiTL319W5WCIoERMUtlnYBbT3YIUJOox5vFkmiBhxjG8zqVCEHp70KUMSRF8qhg2QmectFLcWr7U9OslpKcT4Dq++oYkazvvCiH4dJGCQxLJVNUsDPQq8sF34PUS55YwcU/21emahu1mWjIaN9LqHts7NqDGHeimw== rsa1024';
const PRIVATE_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n';

test('add an SSH key, see its fingerprint, be told why a bad key is refused, remove it', async ({ page }, testInfo) => {
  // Unverified is enough: keys are kept before the first order.
  await signUp(page, CUSTOMER.name, CUSTOMER.email, CUSTOMER.password);
  await logIn(page, CUSTOMER.email, CUSTOMER.password);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.getByTestId('account-link').click();
  await expect(page).toHaveURL(/\/account$/);
  await hydrated(page);

  const card = page.getByTestId('ssh-keys-card');
  await expect(card.getByRole('heading', { name: 'Kunci SSH' })).toBeVisible();
  await expect(card.getByTestId('ssh-keys-empty')).toHaveText('Belum ada kunci SSH.');
  const name = card.getByLabel('Nama');
  const publicKey = card.getByLabel('Kunci publik');
  const add = card.getByRole('button', { name: 'Tambah kunci' });

  await name.fill('Laptop kantor');
  await publicKey.fill(RSA_1024);
  await add.click();
  await expect(card.getByTestId('form-error')).toHaveText(
    'Kunci ini terlalu lemah: DSA dan RSA di bawah 2048 bit tidak diterima. Buat kunci baru dengan ssh-keygen -t ed25519.',
  );
  // A refused key stays in the form so it can be corrected.
  await expect(publicKey).toHaveValue(RSA_1024);

  await publicKey.fill(PRIVATE_KEY);
  await add.click();
  await expect(card.getByTestId('form-error')).toHaveText(
    'Ini kunci privat: jangan berikan kepada siapa pun. Tempel isi berkas .pub (kunci publik) saja.',
  );
  // A private key pasted by mistake does not stay on screen.
  await expect(publicKey).toHaveValue('');
  await shot(page, testInfo, 'ssh-keys-private-key-refused');

  await publicKey.fill(ED25519);
  await add.click();
  const key = card.getByTestId('ssh-key');
  await expect(key).toHaveCount(1);
  await expect(key.getByTestId('ssh-key-fingerprint')).toHaveText(ED25519_FINGERPRINT);
  await expect(key).toContainText('Laptop kantor');
  await expect(key).toContainText('ED25519 256 bit');
  await expect(card.getByTestId('form-notice')).toHaveText('Kunci disimpan.');
  await expect(card.getByTestId('form-error')).toHaveCount(0);
  await expect(publicKey).toHaveValue('');
  await shot(page, testInfo, 'ssh-keys-added');

  // The same key again is recognised by its fingerprint, under any name.
  await name.fill('Laptop lama');
  await publicKey.fill(ED25519);
  await add.click();
  await expect(card.getByTestId('form-error')).toHaveText('Kunci ini sudah tersimpan di akun Anda.');

  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveClass(/dark/);
  await shot(page, testInfo, 'ssh-keys-dark');
  await page.getByTestId('theme-toggle').click();

  // Still there after a reload: it is stored, not just shown.
  await page.reload();
  await hydrated(page);
  await expect(card.getByTestId('ssh-key-fingerprint')).toHaveText(ED25519_FINGERPRINT);

  await key.getByRole('button', { name: 'Hapus' }).click();
  await expect(card.getByTestId('ssh-keys-empty')).toBeVisible();
  await expect(card.getByTestId('form-notice')).toHaveText('Kunci dihapus. Server yang sudah memakainya tidak berubah.');
  await shot(page, testInfo, 'ssh-keys-removed');
});
